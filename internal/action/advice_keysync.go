package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/mos-tools/publisher-keys/internal/keysync"
)

// adviseKeysync words the errors of the sync of one key to many apps.
func adviseKeysync(err error) (string, string, bool) {
	switch e := err.(type) {
	case *keysync.MismatchError:
		return "mos.portal stored a different key", fmt.Sprintf("%s; check the key in mos.portal (Publisher → Apps → %s) "+
			"and report this to mos. support", e.Error(), e.App), true
	case *keysync.OwnerError:
		return "Key of another " + e.Want.Names.Team, ownerAdvice(e), true
	case *keysync.NotStartedError:
		if errors.Is(e.Err, context.Canceled) {
			return "Cancelled before the sync", e.Error(), true
		}
		return "Timed out before the sync", e.Error() + "; raise the timeout input or run again", true
	case *keysync.UnconfirmedError:
		title, msg := unconfirmedAdvice(e)
		return title, msg, true
	}
	return "", "", false
}

// ownerAdvice names no app (the annotation does), so apps holding the same
// key of another owner read alike and are reported once.
func ownerAdvice(e *keysync.OwnerError) string {
	if e.Check {
		return fmt.Sprintf("%s. To replace it, run this action with mode: sync once the new key is proven to %s; "+
			"or check the workflow's matrix entry.", e.Error(), e.Want.Names.Proof)
	}
	return fmt.Sprintf("%s. The new key must first be proven to %s, or check the workflow's matrix entry.",
		e.Error(), e.Want.Names.Proof)
}

// unconfirmedAdvice says what to do about an upload whose outcome the
// read-back did not settle, with the upload's and the read-back's errors
// advised in place; the upload's title heads it.
func unconfirmedAdvice(e *keysync.UnconfirmedError) (title, msg string) {
	msg = e.Error() + "; run this action again."
	if e.Get != nil {
		msg = fmt.Sprintf("%s: check it in mos.portal (Publisher → Apps → %s) or run this action again.", e.Error(), e.App)
	}
	title = "Error"
	for _, inner := range []error{e.Get, e.Put} {
		if inner == nil {
			continue
		}
		t, m := Explain(inner)
		msg = replaceFact(msg, inner.Error(), m)
		if t != "Error" {
			title = t
		}
	}
	return title, msg
}
