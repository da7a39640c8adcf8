package keysync

import (
	"errors"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	t.Parallel()

	play := Names{KeyID: "private key ID", Owner: "client email"}
	cases := []struct {
		name       string
		names      Names
		held, want Identity
		wantText   string
	}{
		{name: "the same key", names: names, held: newKey.Identity, want: newKey.Identity, wantText: ""},
		{name: "another Issuer ID, shortened to the first group",
			names: names, held: misfiled.Identity, want: newKey.Identity,
			wantText: "Issuer ID 0f3c9a2e… in mos.portal, 57246542… in the inputs"},
		{name: "Issuer IDs that start alike keep going until they differ",
			names: names, held: Identity{KeyID: "K", Fingerprint: "F", Owner: "57246542-96fe-1a63-e053-0824d011072b"},
			want:     Identity{KeyID: "K", Fingerprint: "F", Owner: "57246542-96fe-1a63-e053-0824d011072a"},
			wantText: "Issuer ID 57246542-96fe-1a63-e053-0824d011072b in mos.portal, 57246542-96fe-1a63-e053-0824d011072a in the inputs"},
		{name: "Issuer IDs that differ in the middle",
			names: names, held: Identity{KeyID: "K", Fingerprint: "F", Owner: "57246542-96fe-1a63-e053-0824d011072a"},
			want:     Identity{KeyID: "K", Fingerprint: "F", Owner: "57246542-96ff-1a63-e053-0824d011072a"},
			wantText: "Issuer ID 57246542-96fe-1a… in mos.portal, 57246542-96ff-1a… in the inputs"},
		{name: "an Issuer ID in upper case is the same UUID", names: names,
			held: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new", Owner: strings.ToUpper(issuerA)}, want: newKey.Identity, wantText: ""},
		{name: "no Issuer ID held", names: names, held: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new"}, want: newKey.Identity,
			wantText: "Issuer ID (none) in mos.portal, 57246542… in the inputs"},
		{name: "another key: every field, key ID first, fingerprints shortened", names: names,
			held: Identity{KeyID: "OLDKEY1234", Fingerprint: "SHA256:b2xkIGtleSBvZiB0aGUgZmF1bHQgd29ybGQ", Owner: issuerB},
			want: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:NhW7rjsIRAYAZVTYC1k0BwE9UnjjY1wIc1yYR9PbK2A", Owner: issuerA},
			wantText: "Key ID OLDKEY1234 in mos.portal, NEWKEY1234 in the inputs; fingerprint SHA256:b2xkIGtl… in mos.portal, SHA256:NhW7rjsI… in the inputs; " +
				"Issuer ID 0f3c9a2e… in mos.portal, 57246542… in the inputs"},
		{name: "client e-mails are shown whole", names: play,
			held:     Identity{KeyID: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", Fingerprint: "F", Owner: "publisher@acme-staging.iam.gserviceaccount.com"},
			want:     Identity{KeyID: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", Fingerprint: "F", Owner: "publisher@acme-prod.iam.gserviceaccount.com"},
			wantText: "client email publisher@acme-staging.iam.gserviceaccount.com in mos.portal, publisher@acme-prod.iam.gserviceaccount.com in the inputs"},
		{name: "hex private key IDs are shortened", names: play,
			held:     Identity{KeyID: "00112233445566778899aabbccddeeff00112233", Fingerprint: "F", Owner: "a@b.c"},
			want:     Identity{KeyID: "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432", Fingerprint: "F", Owner: "a@b.c"},
			wantText: "private key ID 00112233… in mos.portal, 9f8e7d6c… in the inputs"},
		{name: "what a portal sends is cleaned of line breaks and control characters", names: names,
			held: Identity{KeyID: "K", Fingerprint: "F", Owner: "0f3c\n::error::x\x1b[31m"}, want: Identity{KeyID: "K", Fingerprint: "F", Owner: issuerA},
			wantText: "Issuer ID 0f3c::er… in mos.portal, 57246542… in the inputs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Describe(tc.names.Differences(tc.held, tc.want)); got != tc.wantText {
				t.Errorf("Describe =\n  %q\nwant\n  %q", got, tc.wantText)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()

	getFailed := errors.New("mos.portal answered 503 Service Unavailable while reading the key of app a, also after retries.")
	cases := []struct {
		name    string
		err     error
		wantIn  []string
		wantNot []string
	}{
		{name: "an answer with another Issuer ID", err: &MismatchError{App: "a", Want: newKey, Got: misfiled},
			wantIn:  []string{"upload of key NEWKEY1234 to app a", "Issuer ID 0f3c9a2e… in mos.portal, 57246542… in the inputs", "Publisher → Apps → a"},
			wantNot: []string{"fingerprint", "Key ID"}},
		{name: "read back: the old key", err: &UnconfirmedError{App: "a", Put: errLost, Held: &oldKey, Want: newKey},
			wantIn: []string{errLost.Error() + ". Read back afterwards, app a holds key OLDKEY1234, not the key sent (Key ID OLDKEY1234 in mos.portal, NEWKEY1234 in the inputs; fingerprint SHA256:old in mos.portal, SHA256:new in the inputs): the upload did not take effect"}},
		{name: "read back: no key", err: &UnconfirmedError{App: "a", Put: errLost, Want: newKey},
			wantIn: []string{"Read back afterwards, app a holds no key: the upload did not take effect"}},
		{name: "read back failed", err: &UnconfirmedError{App: "a", Put: errLost, Get: getFailed, Want: newKey},
			wantIn: []string{errLost.Error() + ". Reading the key of app a back", "failed as well: " + getFailed.Error() + " App a may hold either its previous key or key NEWKEY1234"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, msg := explain(tc.err)
			for _, s := range tc.wantIn {
				if !strings.Contains(msg, s) {
					t.Errorf("message\n  %s\nlacks\n  %s", msg, s)
				}
			}
			for _, s := range tc.wantNot {
				if strings.Contains(msg, s) {
					t.Errorf("message\n  %s\nsays %q, which did not differ", msg, s)
				}
			}
		})
	}
}

func TestUnconfirmedErrorKeepsBothCauses(t *testing.T) {
	t.Parallel()

	getFailed := errors.New("read failed")
	err := error(&UnconfirmedError{App: "a", Put: errLost, Get: getFailed, Want: newKey})
	if !errors.Is(err, errLost) || !errors.Is(err, getFailed) {
		t.Errorf("errors.Is does not find both causes in %v", err)
	}
	if Uncertain(nil) != nil {
		t.Error("Uncertain(nil) is not nil")
	}
	if w := Uncertain(errLost); !errors.Is(w, errLost) || w.Error() != errLost.Error() {
		t.Errorf("Uncertain(err) = %v, want err's text and chain", w)
	}
}
