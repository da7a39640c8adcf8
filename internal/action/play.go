package action

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/play"
	"github.com/mos-tools/publisher-keys/internal/playkey"
	"github.com/mos-tools/publisher-keys/internal/portal"
)

// checkPackages is the Play check of the key and the packages.
//
// Seam for issue 16, part 3: the packages of the apps' records are to be
// checked read-only (play-check: read, a GET of each package's production
// track, also when play-check is edit). Until that check is on main, every
// package is checked as play-package-names is: by opening and deleting an
// edit.
func checkPackages(ctx context.Context, client *play.Client, packages []string) (*play.Result, error) {
	return client.Check(ctx, packages)
}

// keyWide says whether a Play failure is the key's rather than one app's:
// the same answer would come for any package.
func keyWide(kind play.APIErrorKind) bool {
	switch kind {
	case play.APIUnauthenticated, play.APIDisabled, play.APIProjectNotLinked, play.APIScopeInsufficient:
		return true
	}
	return false
}

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
	// A package name that cannot be one is refused before any request,
	// as a bundle ID is, and no longer only by the check.
	var badNames []error
	for _, p := range cfg.playPackages {
		badNames = append(badNames, play.CheckPackageName(p))
	}
	if err := errors.Join(badNames...); err != nil {
		s.intakeErr = err
		return s
	}
	client := &play.Client{BaseURL: cfg.playAPIURL, Key: key, Now: r.deps.Now}
	s.idNoun, s.keyName, s.whose = "package", "service account "+key.ClientEmail, "private key ID "+key.PrivateKeyID
	s.check = func(ctx context.Context, recordPkgs []string) (string, map[string]storeAnswer, error) {
		client.HTTP = r.httpClient("Google")
		client.OnSecret = func(secret string) { r.mask(secret) }
		res, err := checkPackages(ctx, client, union(cfg.playPackages, recordPkgs))
		for _, pkg := range res.Packages {
			if pkg.Warning != "" {
				r.warningf("Google Play edit left open", "%s: %s", pkg.Package, pkg.Warning)
			}
		}
		if err != nil && !res.TokenOK {
			return "", nil, err
		}
		// A package of play-package-names, or a failure that is the key's
		// (the API disabled, a refused token), fails the key as before; a
		// package only an app record names fails (or skips) that app.
		unseen := map[string]storeAnswer{}
		var keyErrs []error
		for _, pkg := range res.Packages {
			var apiErr *play.APIError
			switch {
			case pkg.Err == nil:
			case slices.Contains(cfg.playPackages, pkg.Package), !errors.As(pkg.Err, &apiErr), keyWide(apiErr.Kind):
				keyErrs = append(keyErrs, pkg.Err)
			default:
				unseen[pkg.Package] = storeAnswer{err: pkg.Err,
					hidden: apiErr.Kind == play.APIPackageNotFound || apiErr.Kind == play.APIPermissionDenied}
			}
		}
		if len(keyErrs) > 0 {
			return "", nil, errors.Join(keyErrs...)
		}
		note := fmt.Sprintf("service account %s obtained a token", key.ClientEmail)
		if len(cfg.playPackages) > 0 {
			note += fmt.Sprintf(" and can edit %s", strings.Join(cfg.playPackages, ", "))
		}
		if len(recordPkgs) > 0 {
			note += fmt.Sprintf("; it can manage %d of the %d packages of the apps in mos.portal", len(recordPkgs)-len(unseen), len(recordPkgs))
		}
		return note, unseen, nil
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
