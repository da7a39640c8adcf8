package keysync

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHeldAfterRun checks what each app is said to hold after the run: the
// results output's heldKeyId. Replaced names only a key an upload replaced;
// a drifting app in check mode replaced nothing.
func TestHeldAfterRun(t *testing.T) {
	t.Parallel()

	type row struct{ Status, Held, Replaced string }
	cases := []struct {
		name        string
		mode        Mode
		stored      map[string]Stored
		getErr      map[string]error
		readBackErr map[string]error
		putErr      map[string]error
		want        map[string]row
	}{
		{name: "check: drift holds the old key or none, and replaces nothing", mode: ModeCheck,
			stored: map[string]Stored{"a": cur, "b": oldKey},
			want:   map[string]row{"a": {"in-sync", "NEWKEY1234", ""}, "b": {"drift", "OLDKEY1234", ""}, "c": {"drift", "", ""}}},
		{name: "sync: uploaded apps hold the new key and name the one replaced", mode: ModeSync,
			stored: map[string]Stored{"b": oldKey, "c": cur},
			want:   map[string]row{"a": {"uploaded", "NEWKEY1234", ""}, "b": {"uploaded", "NEWKEY1234", "OLDKEY1234"}, "c": {"unchanged", "NEWKEY1234", ""}}},
		{name: "a failed read leaves it unknown; a refused upload leaves the old key", mode: ModeSync,
			stored: map[string]Stored{"a": oldKey, "b": oldKey},
			getErr: map[string]error{"a": errors.New("mos.portal answered 500")}, putErr: map[string]error{"b": errRefused},
			want: map[string]row{"a": {"failed", "", ""}, "b": {"failed", "OLDKEY1234", ""}, "c": {"uploaded", "NEWKEY1234", ""}}},
		{name: "after an unusable answer, the read-back says, or nothing is known", mode: ModeSync,
			stored:      map[string]Stored{"a": oldKey, "b": oldKey},
			putErr:      map[string]error{"a": Uncertain(errLost), "b": Uncertain(errLost)},
			readBackErr: map[string]error{"b": errors.New("mos.portal answered 503")},
			want:        map[string]row{"a": {"failed", "OLDKEY1234", ""}, "b": {"failed", "", ""}, "c": {"uploaded", "NEWKEY1234", ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			remote := &memRemote{stored: tc.stored, getErr: tc.getErr, readBackErr: tc.readBackErr, putErr: tc.putErr, want: newKey}
			got := map[string]row{}
			for _, r := range Run(t.Context(), Options{Mode: tc.mode, Apps: []string{"a", "b", "c"}, Want: newKey, Remote: remote}) {
				held := ""
				if r.Held != nil {
					held = r.Held.KeyID
				}
				got[r.App] = row{string(r.Status), held, r.Replaced}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeHeld(t *testing.T) {
	t.Parallel()
	play := Want{
		Identity: Identity{KeyID: "3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e", Fingerprint: "SHA256:new", Owner: "publisher@acme.iam.gserviceaccount.com"},
		Names:    Names{KeyID: "private key ID", Owner: "client email", Team: "service account"},
	}
	cases := []struct {
		name string
		held *Stored
		want Want
		out  string
	}{
		{"nothing", nil, newKey, "mos.portal holds no key"},
		{"an old key of the team", &oldKey, newKey, "mos.portal holds key OLDKEY1234"},
		{"this key under another Issuer ID", &misfiled, newKey, "mos.portal holds this key under Issuer ID 0f3c9a2e…"},
		{"another team's key", &Stored{Identity: Identity{KeyID: "OLDKEY1234", Fingerprint: "SHA256:old", Owner: issuerB}}, newKey,
			"mos.portal holds key OLDKEY1234 of another team (Issuer ID 0f3c9a2e…)"},
		{"another key under this Key ID", &Stored{Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:mangled", Owner: issuerA}}, newKey,
			"mos.portal holds another key under Key ID NEWKEY1234"},
		{"Play: this key under another client email", &Stored{Identity: Identity{KeyID: play.KeyID, Fingerprint: "SHA256:new", Owner: "old@acme.iam.gserviceaccount.com"}}, play,
			"mos.portal holds this key under client email old@acme.iam.gserviceaccount.com"},
		{"Play: an old key, shortened", &Stored{Identity: Identity{KeyID: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Fingerprint: "SHA256:old", Owner: play.Owner}}, play,
			"mos.portal holds key a1b2c3d4…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := DescribeHeld(tc.held, tc.want); got != tc.out {
				t.Errorf("DescribeHeld = %q, want %q", got, tc.out)
			}
		})
	}
}
