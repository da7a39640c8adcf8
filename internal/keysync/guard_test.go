package keysync

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTeamGuard is the rule that no app is handed another owner's key
// unproven: for each store, each combination of owner and fingerprint held
// against the run's key, with and without proof, in every mode.
func TestTeamGuard(t *testing.T) {
	t.Parallel()

	playNames := Names{KeyID: "private key ID", Owner: "client email", Team: "service account",
		Proof: "reach the app: give the app's package name in play-package-names"}
	stores := []struct {
		name          string
		want          Want
		sameOwnerCase string // the run's owner in another case
		otherOwner    string
		wantTitle     string
	}{
		{name: "apple", want: newKey, sameOwnerCase: strings.ToUpper(issuerA), otherOwner: issuerB, wantTitle: "Key of another team"},
		{name: "play", want: Want{Identity: Identity{KeyID: "3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e", Fingerprint: "SHA256:new",
			Owner: "publisher@acme.iam.gserviceaccount.com"}, Names: playNames},
			sameOwnerCase: "Publisher@ACME.iam.gserviceaccount.com", otherOwner: "publisher@globex.iam.gserviceaccount.com",
			wantTitle: "Key of another service account"},
	}
	const held = "OLDKEY1234"

	// outcome per mode: status, and whether the app's key was refused as
	// another owner's (an OwnerError).
	type outcome struct {
		Status  Status
		Refused bool
	}
	cases := []struct {
		name        string
		owner       string // "same", "case" (same, other case), "other"; "" holds no key
		fingerprint string // "same" or "other"
		proven      bool
		want        map[Mode]outcome
	}{
		{name: "no key held yet, unproven", want: map[Mode]outcome{
			ModeSync: {Status: StatusUploaded}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusDrift}}},
		{name: "the same key", owner: "same", fingerprint: "same", want: map[Mode]outcome{
			ModeSync: {Status: StatusUnchanged}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusInSync}}},
		{name: "rotation within the owner, unproven", owner: "same", fingerprint: "other", want: map[Mode]outcome{
			ModeSync: {Status: StatusUploaded}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusDrift}}},
		{name: "rotation within the owner written in another case, unproven", owner: "case", fingerprint: "other", want: map[Mode]outcome{
			ModeSync: {Status: StatusUploaded}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusDrift}}},
		{name: "the same key under another owner is corrected, unproven", owner: "other", fingerprint: "same", want: map[Mode]outcome{
			ModeSync: {Status: StatusUploaded}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusDrift}}},
		{name: "another owner's key, unproven: refused", owner: "other", fingerprint: "other", want: map[Mode]outcome{
			ModeSync: {Status: StatusFailed, Refused: true}, ModeForce: {Status: StatusFailed, Refused: true},
			ModeCheck: {Status: StatusDrift, Refused: true}}},
		{name: "another owner's key, proven: replaced", owner: "other", fingerprint: "other", proven: true, want: map[Mode]outcome{
			ModeSync: {Status: StatusUploaded}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusDrift, Refused: true}}},
		{name: "rotation within the owner, proven", owner: "same", fingerprint: "other", proven: true, want: map[Mode]outcome{
			ModeSync: {Status: StatusUploaded}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusDrift}}},
		{name: "the same key under another owner, proven", owner: "other", fingerprint: "same", proven: true, want: map[Mode]outcome{
			ModeSync: {Status: StatusUploaded}, ModeForce: {Status: StatusUploaded}, ModeCheck: {Status: StatusDrift}}},
	}
	for _, st := range stores {
		for _, tc := range cases {
			for mode, want := range tc.want {
				t.Run(st.name+"/"+tc.name+"/"+string(mode), func(t *testing.T) {
					t.Parallel()

					stored := map[string]Stored{}
					if tc.owner != "" {
						id := Identity{KeyID: held, Fingerprint: "SHA256:old", Owner: st.want.Owner}
						if tc.fingerprint == "same" {
							id.KeyID, id.Fingerprint = st.want.KeyID, st.want.Fingerprint
						}
						switch tc.owner {
						case "case":
							id.Owner = st.sameOwnerCase
						case "other":
							id.Owner = st.otherOwner
						}
						stored["a"] = Stored{Identity: id}
					}
					before := stored["a"]
					remote := &memRemote{stored: stored, want: st.want}
					res := Run(t.Context(), Options{Mode: mode, Apps: []string{"a"}, Want: st.want, Remote: remote, Proven: tc.proven})[0]

					var owner *OwnerError
					got := outcome{Status: res.Status, Refused: errors.As(res.Err, &owner)}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("outcome (-want +got):\n%s\nerr: %v", diff, res.Err)
					}
					wrote := len(remote.puts) > 0
					if wantWrite := want.Status == StatusUploaded; wrote != wantWrite {
						t.Errorf("wrote %v, want %v", wrote, wantWrite)
					}
					if !wrote && tc.owner != "" && remote.stored["a"] != before {
						t.Errorf("the record changed to %+v without a write", remote.stored["a"])
					}
					switch {
					case want.Status == StatusFailed && res.Replaced != "":
						t.Errorf("a refused app names %q as replaced; it replaced nothing", res.Replaced)
					case want.Status == StatusUploaded && tc.fingerprint == "other" && res.Replaced != held:
						t.Errorf("Replaced = %q, want %s: the previous key is still named", res.Replaced, held)
					}
					if owner != nil {
						if title, _ := explain(owner); title != st.wantTitle {
							t.Errorf("title %q, want %q", title, st.wantTitle)
						}
					}
				})
			}
		}
	}
}

func TestOwnerErrorMessages(t *testing.T) {
	t.Parallel()

	theirs := Identity{KeyID: "OLDKEY1234", Fingerprint: "SHA256:old", Owner: issuerB}
	play := Want{
		Identity: Identity{KeyID: "3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e", Fingerprint: "SHA256:new", Owner: "publisher@acme.iam.gserviceaccount.com"},
		Names: Names{KeyID: "private key ID", Owner: "client email", Team: "service account",
			Proof: "reach the app: give the app's package name in play-package-names"},
	}
	playHeld := Identity{KeyID: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Fingerprint: "SHA256:old", Owner: "publisher@globex.iam.gserviceaccount.com"}
	cases := []struct {
		name string
		err  *OwnerError
		want string
	}{
		{name: "apple, refused", err: &OwnerError{App: "weather", Held: theirs, Want: newKey},
			want: "mos.portal holds key OLDKEY1234 of another team (Issuer ID 0f3c9a2e…), and this run's key NEWKEY1234 belongs to Issuer ID 57246542…, " +
				"so nothing was written. The new key must first be proven to see the app: give the app's bundle ID in asc-bundle-ids, or check the workflow's matrix entry."},
		{name: "apple, check", err: &OwnerError{App: "weather", Held: theirs, Want: newKey, Check: true},
			want: "mos.portal holds key OLDKEY1234 of another team (Issuer ID 0f3c9a2e…), not the checked key NEWKEY1234 of Issuer ID 57246542…. " +
				"To replace it, run this action with mode: sync once the new key is proven to see the app: give the app's bundle ID in asc-bundle-ids; or check the workflow's matrix entry."},
		{name: "play, refused", err: &OwnerError{App: "weather", Held: playHeld, Want: play},
			want: "mos.portal holds key a1b2c3d4… of another service account (client email publisher@globex.iam.gserviceaccount.com), " +
				"and this run's key 3f2e1d0c… belongs to client email publisher@acme.iam.gserviceaccount.com, so nothing was written. " +
				"The new key must first be proven to reach the app: give the app's package name in play-package-names, or check the workflow's matrix entry."},
		{name: "what the portal sent is cleaned", err: &OwnerError{App: "weather",
			Held: Identity{KeyID: "OLD\n::error::x", Fingerprint: "SHA256:old", Owner: "0f3c\r\n::warning::y"}, Want: newKey},
			want: "mos.portal holds key OLD::error::x of another team (Issuer ID 0f3c::warning::y), and this run's key NEWKEY1234 belongs to Issuer ID 57246542…, " +
				"so nothing was written. The new key must first be proven to see the app: give the app's bundle ID in asc-bundle-ids, or check the workflow's matrix entry."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, got := explain(tc.err); got != tc.want {
				t.Errorf("message\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

// TestTeamGuardProvenApps: an app whose own bundle ID or package the check
// saw (its mos.portal record) is proven by itself; the others are not.
func TestTeamGuardProvenApps(t *testing.T) {
	t.Parallel()
	theirs := Stored{Identity: Identity{KeyID: "OLDKEY1234", Fingerprint: "SHA256:old", Owner: issuerB}}
	remote := &memRemote{stored: map[string]Stored{"seen": theirs, "unseen": theirs}, want: newKey}
	res := Run(t.Context(), Options{Mode: ModeSync, Apps: []string{"seen", "unseen"}, Want: newKey, Remote: remote,
		ProvenApps: map[string]bool{"seen": true}})
	got := map[string]Status{res[0].App: res[0].Status, res[1].App: res[1].Status}
	if diff := cmp.Diff(map[string]Status{"seen": StatusUploaded, "unseen": StatusFailed}, got); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	var owner *OwnerError
	if !errors.As(res[1].Err, &owner) {
		t.Errorf("the unproven app's error is %v, want an OwnerError", res[1].Err)
	}
}
