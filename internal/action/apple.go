package action

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/appstore"
	"github.com/mos-tools/publisher-keys/internal/asckey"
	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/portal"
)

// appleStore reads, masks and checks the App Store Connect key. It prints
// nothing: the caller prints only after every store has masked its secrets.
func (r *run) appleStore() *store {
	cfg := r.cfg
	s := &store{
		platform:   "ios",
		name:       "App Store Connect",
		given:      cfg.hasApple(),
		ageDays:    -1,
		revokeHint: "revoke the old key in App Store Connect (Users and Access → Integrations → App Store Connect API → Team Keys).",
	}
	if !s.given {
		return s
	}

	var errs []error
	var key *asckey.Key
	if cfg.ascKey != "" {
		var err error
		key, err = asckey.Parse(cfg.ascKey)
		// A file is masked only once it holds a key: the lines of any other
		// file named by mistake (/etc/shadow) must not be echoed as masks.
		if key != nil || !cfg.ascKeyFromFile {
			r.maskKey(asckey.SecretLines(cfg.ascKey, key))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", cfg.ascKeySource, err))
		}
	}
	if err := asckey.CheckSwapped(cfg.ascKeyID, cfg.ascIssuerID); err != nil {
		// One cause, one annotation: not "Key ID looks like an Issuer ID"
		// and "Issuer ID looks like a Team ID" side by side.
		errs = append(errs, err)
	} else {
		if err := asckey.CheckKeyID(cfg.ascKeyID); err != nil {
			errs = append(errs, err)
		}
		if err := asckey.CheckIssuerID(cfg.ascIssuerID); err != nil {
			errs = append(errs, err)
		}
	}
	for _, id := range cfg.bundleIDs {
		if err := appstore.CheckBundleID(id); err != nil {
			errs = append(errs, err)
		}
	}
	s.intakeErr = errors.Join(errs...)
	s.facts = [][2]string{{"Key ID", shownID(cfg.ascKeyID, asckey.CheckKeyID)}, {"Issuer ID", shownID(cfg.ascIssuerID, asckey.CheckIssuerID)}}
	if key == nil {
		return s
	}
	s.want = keysync.Want{
		Identity: keysync.Identity{KeyID: cfg.ascKeyID, Fingerprint: key.Fingerprint, Owner: cfg.ascIssuerID},
		Names: keysync.Names{KeyID: "Key ID", Owner: "Issuer ID", Team: "team",
			Proof: "see the app: give the app's bundle ID in asc-bundle-ids"},
	}
	// The check requires the key to see every bundle ID given: the proof
	// that lets it replace another team's key.
	s.proven = len(cfg.bundleIDs) > 0
	s.facts = append(s.facts, [2]string{"Fingerprint", key.Fingerprint}, [2]string{"Key found as", key.Form})
	if s.intakeErr != nil {
		return s
	}

	signer := &appstore.Signer{KeyID: cfg.ascKeyID, IssuerID: cfg.ascIssuerID, Key: key.Private, Now: r.deps.Now}
	s.idNoun, s.keyName, s.whose = "bundle ID", "key "+cfg.ascKeyID, "Issuer ID "+cfg.ascIssuerID
	s.check = func(ctx context.Context, recordIDs []string) (string, map[string]storeAnswer, error) {
		// Sign the one token of the run now, so it is masked before use.
		token, err := signer.Token()
		if err != nil {
			return "", nil, err
		}
		r.secret(token)
		// The individual-key token of a 401's second look is registered
		// before it is sent, like the team token above.
		client := &appstore.Client{BaseURL: cfg.ascAPIURL, HTTP: r.httpClient("App Store Connect"), Signer: signer,
			Mask: func(token string) { r.secret(token) }}
		// One check for both lists (one request per 200 bundle IDs).
		chk, err := client.Check(ctx, union(cfg.bundleIDs, recordIDs))
		unseen, err := splitUnseen(err, cfg.bundleIDs)
		if err != nil {
			return "", nil, err
		}
		note := fmt.Sprintf("key %s accepted", cfg.ascKeyID)
		if seen := slices.DeleteFunc(slices.Clone(chk.BundleIDs), func(id string) bool { return !slices.Contains(cfg.bundleIDs, id) }); len(seen) > 0 {
			note += fmt.Sprintf("; it sees %s", strings.Join(seen, ", "))
		}
		if len(recordIDs) > 0 {
			note += fmt.Sprintf("; it sees %d of the %d bundle IDs of the apps in mos.portal", len(recordIDs)-len(unseen), len(recordIDs))
		}
		return note, unseen, nil
	}
	upload := portal.IOSKeyUpload{KeyID: cfg.ascKeyID, IssuerID: cfg.ascIssuerID, PrivateKey: key.PKCS8PEM}
	s.remote = func(c *portal.Client, project string) keysync.Remote {
		return portalRemote[*portal.IOSKey]{
			get: func(ctx context.Context, app string) (*portal.IOSKey, error) { return c.GetIOSKey(ctx, project, app) },
			put: func(ctx context.Context, app string) (*portal.IOSKey, bool, error) {
				return c.PutIOSKey(ctx, project, app, upload)
			},
			stored: func(k *portal.IOSKey) *keysync.Stored {
				return &keysync.Stored{Identity: keysync.Identity{KeyID: k.KeyID, Fingerprint: k.Fingerprint, Owner: k.IssuerID}, UploadedAt: k.UploadedAt}
			},
		}
	}
	return s
}

// splitUnseen splits the bundle IDs a check could not find: one of
// asc-bundle-ids (given) fails the key as before; one only an app record
// names fails (or skips) that app alone.
func splitUnseen(err error, given []string) (map[string]storeAnswer, error) {
	var notVisible *appstore.BundleIDsNotVisibleError
	if !errors.As(err, &notVisible) {
		return nil, err
	}
	unseen := map[string]storeAnswer{}
	var missing []string
	for _, id := range notVisible.Missing {
		if slices.Contains(given, id) {
			missing = append(missing, id)
			continue
		}
		unseen[id] = storeAnswer{hidden: true}
	}
	if len(missing) > 0 {
		return nil, &appstore.BundleIDsNotVisibleError{Missing: missing, KeyID: notVisible.KeyID, NoneVisible: len(missing) == len(given)}
	}
	return unseen, nil
}

// union is a followed by the items of b not in a.
func union(a, b []string) []string {
	out := slices.Clone(a)
	seen := make(map[string]bool, len(a)+len(b))
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// shownID is an ID input as the outputs and the summary may show it: only a
// value of the ID's shape. Anything else may be a secret given to the wrong
// input (asc-key-id: ${{ secrets.ASC_KEY }}), which nothing masks; the
// error annotation says what is wrong with it without quoting it.
func shownID(id string, check func(string) error) string {
	if check(id) != nil {
		return ""
	}
	return id
}
