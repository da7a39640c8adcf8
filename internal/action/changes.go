package action

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/keysync"
)

// driftMessage says why an app's key is drift in check mode: what it holds
// and which fields differ from the checked key. It names neither the app
// nor a secret, so apps drifting to the same held key read alike and are
// reported once.
func driftMessage(s *store, res keysync.Result) string {
	const fix = "Run this action with mode: sync to upload it."
	var owner *keysync.OwnerError
	if errors.As(res.Err, &owner) {
		_, msg := Explain(owner)
		return msg
	}
	held := keysync.DescribeHeld(res.Before, s.want)
	if res.Before == nil {
		return fmt.Sprintf("%s, not the checked key %s (%s). %s", held, s.want.KeyID, s.want.Fingerprint, fix)
	}
	diffs := keysync.Describe(s.want.Differences(res.Before.Identity))
	if keysync.OnlyOwner(res.Before.Identity, s.want.Identity) {
		return fmt.Sprintf("mos.portal holds the checked key %s under another %s (%s). mos.publisher signs in with what mos.portal holds, so the app's releases fail. %s",
			s.want.KeyID, s.want.Names.Owner, diffs, fix)
	}
	return fmt.Sprintf("%s, not the checked key %s (%s). %s", held, s.want.KeyID, diffs, fix)
}

// keyChange is one notice: the apps whose upload replaced the same record.
type keyChange struct {
	before keysync.Identity
	diffs  string // keysync.Describe of what differed
	apps   []string
}

// keyChanges groups the uploads that replaced a record by what they
// replaced, in app order. An upload to an app that held nothing, or held
// exactly this key (force mode), changes nothing worth a notice.
func keyChanges(s *store) []*keyChange {
	var out []*keyChange
	byWhat := map[string]*keyChange{}
	for _, res := range s.results {
		if res.Status != keysync.StatusUploaded || res.Before == nil {
			continue
		}
		diffs := s.want.Differences(res.Before.Identity)
		if len(diffs) == 0 {
			continue
		}
		what := keysync.Describe(diffs)
		c := byWhat[res.Before.KeyID+"\x00"+what]
		if c == nil {
			c = &keyChange{before: res.Before.Identity, diffs: what}
			byWhat[res.Before.KeyID+"\x00"+what] = c
			out = append(out, c)
		}
		c.apps = append(c.apps, res.App)
	}
	return out
}

// noticeChange tells which apps now hold the checked key instead of what,
// and what to do about the record replaced. When the app held this key ID
// with other details (another Issuer ID or client email, or a record of
// another key under this ID), the key to revoke would be the one in use:
// the notice says so instead.
func (r *run) noticeChange(s *store, c *keyChange) {
	n, apps := len(c.apps), strings.Join(c.apps, ", ")
	if c.before.KeyID == s.want.KeyID {
		r.noticef(fmt.Sprintf("Corrected %s key %s in mos.portal", s.name, s.want.KeyID),
			"mos.portal app%s %s held key %s with other details (%s) and now hold%s it as checked. Do not revoke key %s: it is the one in use.",
			plural(n, "", "s"), apps, s.want.KeyID, c.diffs, plural(n, "s", ""), s.want.KeyID)
		return
	}
	revoke := "Once releases work with the new key, " + s.revokeHint
	if keysync.OtherOwner(c.before, s.want.Identity) {
		// Its team's other apps, which this run does not see, may still use it.
		revoke = fmt.Sprintf("Key %s is of another %s: once releases work with the new key, and only if no other app uses it, %s",
			c.before.KeyID, s.want.Names.Team, s.revokeHint)
	}
	r.noticef(fmt.Sprintf("Replaced %s key %s", s.name, c.before.KeyID),
		"mos.portal app%s %s now use%s key %s instead of %s (%s). %s",
		plural(n, "", "s"), apps, plural(n, "s", ""), s.want.KeyID, c.before.KeyID, c.diffs, revoke)
}
