package action

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/play"
	"github.com/mos-tools/publisher-keys/internal/playkey"
	"github.com/mos-tools/publisher-keys/internal/portal"
)

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
	s := newStore("android", "Google Play", cfg.hasPlay(),
		"delete the old key in Google Cloud (IAM & Admin → Service accounts → the account → Keys).")
	if !s.given() || cfg.playKey == "" {
		return s
	}

	key, err := playkey.Parse(cfg.playKey)
	// A file is masked only once it holds a key (see appleStore).
	if key != nil || !cfg.playKeyFromFile {
		r.maskKey(playkey.SecretLines(cfg.playKey, key))
	}
	if err != nil {
		s.refuse(fmt.Errorf("%s: %w", cfg.playKeySource, err))
		return s
	}
	s.want = keysync.Want{
		Identity: keysync.Identity{KeyID: key.PrivateKeyID, Fingerprint: key.Fingerprint, Owner: key.ClientEmail},
		Names: keysync.Names{KeyID: "private key ID", Owner: "client email", Team: "service account",
			Proof: "reach the app: give the app's package name in play-package-names"},
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
		s.refuse(err)
		return s
	}
	client := &play.Client{BaseURL: cfg.playAPIURL, Key: key, Now: r.deps.Now, Edit: cfg.playEdit, CertTransport: r.deps.Transport}
	s.idNoun, s.keyName, s.whose = "package", "service account "+key.ClientEmail, "private key ID "+key.PrivateKeyID
	s.check = func(ctx context.Context, recordPkgs []string) (string, map[string]storeAnswer, error) {
		client.HTTP = r.httpClient("Google")
		client.Secret = func(secret string) { r.secret(secret) }
		// The apps' packages are always checked read-only: an edit per
		// app could break a release mos.publisher is uploading.
		client.ReadOnly = make(map[string]bool, len(recordPkgs))
		for _, p := range recordPkgs {
			client.ReadOnly[p] = !slices.Contains(cfg.playPackages, p)
		}
		res, err := client.Check(ctx, union(cfg.playPackages, recordPkgs))
		for _, pkg := range res.Packages {
			if pkg.Warning != "" {
				r.warningf("Google Play edit left open", "%s: %s", pkg.Package, pkg.Warning)
			}
		}
		r.playLifetime(s, key, res.Lifetime)
		if err != nil && !res.TokenOK {
			return "", nil, err
		}
		unseen, keyErrs := sortPackages(res.Packages, cfg.playPackages)
		if len(keyErrs) > 0 {
			return "", nil, errors.Join(keyErrs...)
		}
		return playNote(key.ClientEmail, cfg, len(recordPkgs), len(unseen)), unseen, nil
	}
	s.upload = portal.AndroidKeyUpload{ServiceAccountJSON: string(key.JSON)}
	return s
}

// sortPackages tells the key's failures from the apps': a package of
// play-package-names, or a failure that is the key's (the API disabled, a
// refused token), fails the key as before; a package only an app record
// names fails (or skips) that app alone.
func sortPackages(pkgs []play.PackageResult, named []string) (unseen map[string]storeAnswer, keyErrs []error) {
	unseen = map[string]storeAnswer{}
	for _, pkg := range pkgs {
		var apiErr *play.APIError
		switch {
		case pkg.Err == nil:
		case slices.Contains(named, pkg.Package), !errors.As(pkg.Err, &apiErr), keyWide(apiErr.Kind):
			keyErrs = append(keyErrs, pkg.Err)
		default:
			unseen[pkg.Package] = storeAnswer{err: pkg.Err,
				hidden: apiErr.Kind == play.APIPackageNotFound || apiErr.Kind == play.APIPermissionDenied}
		}
	}
	return unseen, keyErrs
}

// playNote is what a passing Play check found, for the log and summary.
func playNote(clientEmail string, cfg *config, records, unseen int) string {
	note := fmt.Sprintf("service account %s obtained a token", clientEmail)
	if len(cfg.playPackages) > 0 {
		verb := "can see"
		if cfg.playEdit {
			verb = "can edit"
		}
		note += fmt.Sprintf(" and %s %s", verb, strings.Join(cfg.playPackages, ", "))
	}
	if records > 0 {
		note += fmt.Sprintf("; it can see %d of the %d packages of the apps in mos.portal", records-unseen, records)
	}
	return note
}

// playLifetime reports the key's lifetime from Google's certificate list:
// the log line, the summary's rows, and the expiry policy
// (play-key-expiry-warning). An unknown lifetime is only logged.
func (r *run) playLifetime(s *store, key *playkey.Key, l play.Lifetime) {
	if !l.Known() {
		why := l.Unknown
		if l.Read {
			why = "Google's certificate list of the service account has no certificate for key " + key.PrivateKeyID
		}
		r.logf("Google Play: the key's lifetime is unknown (%s)", why)
		return
	}
	s.created, s.expires = l.Created, l.Expires
	expires := "never"
	if !l.Expires.IsZero() {
		expires = timeOutput(l.Expires)
	}
	s.facts = append(s.facts, [2]string{"Key created", timeOutput(l.Created)}, [2]string{"Key expires", expires})
	if l.Expires.IsZero() {
		r.logf("Google Play: key %s was created %s and never expires", key.PrivateKeyID, timeOutput(l.Created))
		return
	}
	now := r.deps.Now()
	left := l.Expires.Sub(now)
	days := int(math.Ceil(left.Hours() / 24))
	r.logf("Google Play: key %s was created %s and expires %s", key.PrivateKeyID, timeOutput(l.Created), expires)
	todo := fmt.Sprintf("Create a new key in Google Cloud → IAM & Admin → Service accounts → %s → Keys → Add key → JSON, store it in the secret, and the next run uploads it to mos.portal.", key.ClientEmail)
	switch {
	case left <= 0:
		r.errorf("Google Play key expired", "Key %s of service account %s expired on %s; Google refuses it. %s",
			key.PrivateKeyID, key.ClientEmail, l.Expires.Format("2006-01-02"), todo)
	case r.cfg.playExpiry > 0 && left <= r.cfg.playExpiry:
		msg := fmt.Sprintf("Key %s of service account %s expires on %s (%d %s left), within play-key-expiry-warning; after that Google refuses it. %s",
			key.PrivateKeyID, key.ClientEmail, l.Expires.Format("2006-01-02"), days, plural(days, "day", "days"), todo)
		if r.cfg.mode == keysync.ModeCheck {
			r.errorf("Google Play key expires soon", "%s", msg)
			return
		}
		r.warningf("Google Play key expires soon", "%s", msg)
	}
}
