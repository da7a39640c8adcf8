package keysync

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Identity is what makes the key an app holds the key a run brings. Every
// field must match: mos.publisher signs with the key, its ID and its owner
// exactly as mos.portal holds them, so the right key filed under a wrong
// owner (a typo in a hand upload, a key stored for another team) fails
// every release as surely as a wrong key.
type Identity struct {
	KeyID       string // App Store Connect Key ID; a service account's private_key_id
	Fingerprint string // SHA256:… of the public key
	Owner       string // whose key it is: the Issuer ID; the service account's client_email
}

// Matches reports whether id and other are the same key of the same owner.
// Owners compare without regard to case: an Issuer ID is a UUID and an
// e-mail domain is case-insensitive, and a portal that lower-cases what it
// stores must not cause an upload on every run.
func (id Identity) Matches(other Identity) bool {
	return id.sameKey(other) && strings.EqualFold(id.Owner, other.Owner)
}

func (id Identity) sameKey(other Identity) bool {
	return id.KeyID == other.KeyID && id.Fingerprint == other.Fingerprint
}

// Names are the words messages use for the fields of one store's Identity.
type Names struct {
	KeyID string // "Key ID", "private key ID"
	Owner string // "Issuer ID", "client email"
	// Team is who an owner is: "team", "service account".
	Team string
	// Proof is what the run's key must be proven to do before it replaces
	// another owner's key, and how a run proves it: "see the app: give the
	// app's bundle ID in" plus the input that names them.
	Proof string
}

// Difference is one field in which the key an app holds differs from the
// key the run brings.
type Difference struct {
	Field string // as Names calls it; "fingerprint" for the fingerprint
	Held  string // in mos.portal ("" if it holds none)
	Want  string // in this run's inputs
}

// Differences lists the fields in which held differs from want, in the
// order key ID, fingerprint, owner. It is empty when held is want.
func (n Names) Differences(held, want Identity) []Difference {
	var out []Difference
	for _, f := range []struct {
		name, held, want string
		same             bool
	}{
		{n.KeyID, held.KeyID, want.KeyID, held.KeyID == want.KeyID},
		{"fingerprint", held.Fingerprint, want.Fingerprint, held.Fingerprint == want.Fingerprint},
		{n.Owner, held.Owner, want.Owner, strings.EqualFold(held.Owner, want.Owner)},
	} {
		if !f.same {
			out = append(out, Difference{Field: f.name, Held: f.held, Want: f.want})
		}
	}
	return out
}

// OnlyOwner reports whether held is the key want names, filed under
// another owner: nothing of the key itself needs replacing.
func OnlyOwner(held, want Identity) bool {
	return held.sameKey(want) && !held.Matches(want)
}

// OtherOwner reports whether held is another owner's key: neither its owner
// (compared without case) nor its fingerprint is want's. Replacing it hands
// the app to another team or service account, which is right for a
// deliberate move and wrong for a swapped secret. Either field alone is not
// enough: the same owner with another key is a rotation, and the same key
// under another owner is a correction of a misfiled record.
func OtherOwner(held, want Identity) bool {
	return held.Fingerprint != want.Fingerprint && !strings.EqualFold(held.Owner, want.Owner)
}

// Describe says what differs in words, one field after the other, e.g.
// "Issuer ID 0f3c9a2e… in mos.portal, 57246542… in the inputs". Long
// opaque values are shortened (see shown); none of them is a secret.
func Describe(diffs []Difference) string {
	parts := make([]string, 0, len(diffs))
	for _, d := range diffs {
		held, want := shown(d.Held, d.Want)
		parts = append(parts, fmt.Sprintf("%s %s in mos.portal, %s in the inputs", d.Field, held, want))
	}
	return strings.Join(parts, "; ")
}

// shown renders two differing values of one field for a message. Key IDs
// and e-mail addresses are shown whole. Longer opaque values (UUIDs, hex
// key IDs, fingerprints) keep their first 8 characters (after a "SHA256:"
// prefix), or more when both start alike, so the two always visibly
// differ: "0f3c9a2e…". Shortening also keeps an Issuer ID that the runner
// masks as a secret readable, as the prefix is not what it masks. A value a
// portal sent is cleaned of control characters first.
func shown(held, want string) (string, string) {
	held, want = printable(held), printable(want)
	common := 0
	for common < len(held) && common < len(want) && held[common] == want[common] {
		common++
	}
	return shorten(held, common), shorten(want, common)
}

const (
	shownWhole   = 16  // values up to this many bytes are shown whole
	shownPrefix  = 8   // characters kept of a longer opaque value
	shownAfter   = 4   // characters kept past the first one that differs
	longestEmail = 100 // an "e-mail" longer than this is shortened too
)

func shorten(s string, common int) string {
	switch {
	case s == "":
		return "(none)"
	case len(s) <= shownWhole, looksLikeEmail(s):
		return s
	}
	keep := shownPrefix
	if strings.HasPrefix(s, "SHA256:") {
		keep += len("SHA256:")
	}
	keep = max(keep, common+shownAfter)
	if keep >= len(s) {
		return s
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + "…"
}

func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.Contains(domain, "@") &&
		!strings.ContainsRune(s, ' ') && len(s) <= longestEmail
}

// printable drops what must not reach a log line from a value mos.portal
// sent: invalid UTF-8, control characters, line breaks.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
}
