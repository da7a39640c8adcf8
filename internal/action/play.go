package action

import (
	"context"
	"fmt"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/play"
	"github.com/mos-tools/publisher-keys/internal/playkey"
	"github.com/mos-tools/publisher-keys/internal/portal"
)

// playStore reads, masks and checks the Google Play service-account key. It
// prints nothing: the caller prints only after every secret is masked.
func (r *run) playStore() *store {
	cfg := r.cfg
	s := &store{
		platform:   "android",
		name:       "Google Play",
		given:      cfg.hasPlay(),
		ageDays:    -1,
		revokeHint: "delete the old key in Google Cloud (IAM & Admin → Service accounts → the account → Keys).",
	}
	if !s.given || cfg.playKey == "" {
		return s
	}

	key, err := playkey.Parse(cfg.playKey)
	r.mask(playkey.SecretLines(cfg.playKey, key)...)
	if err != nil {
		s.intakeErr = fmt.Errorf("%s: %w", cfg.playKeySource, err)
		return s
	}
	s.want = keysync.Want{
		Identity: keysync.Identity{KeyID: key.PrivateKeyID, Fingerprint: key.Fingerprint, Owner: key.ClientEmail},
		Names: keysync.Names{KeyID: "private key ID", Owner: "client email", Team: "service account",
			Proof: "edit the app: give the app's package name in play-package-names"},
	}
	// The check requires an edit of every package given: the proof that
	// lets the key replace another service account's key.
	s.proven = len(cfg.playPackages) > 0
	s.facts = [][2]string{
		{"Client email", key.ClientEmail},
		{"Private key ID", key.PrivateKeyID},
		{"Fingerprint", key.Fingerprint},
		{"Key found as", key.Form},
	}
	client := &play.Client{BaseURL: cfg.playAPIURL, Key: key, Now: r.deps.Now}
	s.check = func(ctx context.Context) (string, error) {
		client.HTTP = r.httpClient("Google")
		client.OnSecret = func(secret string) { r.mask(secret) }
		res, err := client.Check(ctx, cfg.playPackages)
		for _, pkg := range res.Packages {
			if pkg.Warning != "" {
				r.warningf("Google Play edit left open", "%s: %s", pkg.Package, pkg.Warning)
			}
		}
		if err != nil {
			return "", err
		}
		note := fmt.Sprintf("service account %s obtained a token", key.ClientEmail)
		if len(cfg.playPackages) > 0 {
			note += fmt.Sprintf(" and can edit %s", strings.Join(cfg.playPackages, ", "))
		}
		return note, nil
	}
	upload := portal.AndroidKeyUpload{ServiceAccountJSON: string(key.JSON)}
	s.remote = func(c *portal.Client, project string) keysync.Remote {
		return portalRemote[*portal.AndroidKey]{
			get: func(ctx context.Context, app string) (*portal.AndroidKey, error) {
				return c.GetAndroidKey(ctx, project, app)
			},
			put: func(ctx context.Context, app string) (*portal.AndroidKey, bool, error) {
				return c.PutAndroidKey(ctx, project, app, upload)
			},
			stored: func(k *portal.AndroidKey) *keysync.Stored {
				return &keysync.Stored{Identity: keysync.Identity{KeyID: k.PrivateKeyID, Fingerprint: k.Fingerprint, Owner: k.ClientEmail}, UploadedAt: k.UploadedAt}
			},
		}
	}
	return s
}
