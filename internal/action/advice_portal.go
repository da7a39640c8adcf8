package action

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/portal"
)

// portalContract is what a portal answering outside the contract is told.
const portalContract = "the portal does not follow contract v1 (docs/mos-portal-contract.md); " +
	"check mos-url, or report this to the mos.portal team."

var portalTitles = map[string]string{
	portal.CodeUnauthorized:    "mos.portal rejected the token",
	portal.CodeForbidden:       "mos.portal token lacks access",
	portal.CodeProjectNotFound: "mos.portal project not found",
	portal.CodeAppNotFound:     "mos.portal app not found",
	portal.CodeKeyNotFound:     "No key stored in mos.portal",
	portal.CodeInvalidKey:      "mos.portal refused the key",
	portal.KindRedirect:        "mos.portal redirected the request",
	portal.KindNotPortal:       "mos-url is not mos.portal's API",
	portal.KindUnavailable:     "mos.portal unavailable",
}

// portalNext follows the fact of an APIError, by its kind.
var portalNext = map[string]string{
	portal.CodeUnauthorized: ". Check the mos-token secret: it may be mistyped, or the token may have expired or been revoked; " +
		"then issue a new one in mos.portal and update the secret.",
	portal.CodeProjectNotFound: ". Check the spelling of mos-project: it is the project's identifier in mos.portal, not its display name.",
	portal.CodeAppNotFound:     ". Check the spelling of this entry in mos-apps: it is the app's identifier in mos.portal, not its display name.",
	portal.CodeKeyNotFound:     ".",
	portal.CodeInvalidKey: ". The key passed the action's own checks: check the key in the secret, " +
		"and if it is right, report the portal's message to the mos.portal team.",
	portal.KindRedirect: ". The action never follows redirects, so that keys and the token go only where mos-url says: " +
		"set mos-url to the portal's final https base URL.",
	portal.KindUnavailable: ". The portal is unavailable or overloaded: run the workflow again later.",
	portal.KindOther:       ". Check that mos-url points at a portal that supports it (docs/mos-portal-contract.md).",
}

// portalInputs names the input of each identifier an IDError is about.
var portalInputs = map[string]string{portal.IDProject: "mos-project", portal.IDApp: "mos-apps"}

// advisePortal words the errors of the mos.portal client.
func advisePortal(err error) (string, string, bool) {
	switch e := err.(type) {
	case *portal.APIError:
		title, ok := portalTitles[e.Kind()]
		if !ok {
			title = "Unexpected answer from mos.portal"
		}
		return title, portalAPIAdvice(e), true
	case *portal.RequestError:
		return portalRequestAdvice(e)
	case *portal.IDError:
		input := portalInputs[e.What]
		if e.Value == "" {
			return "Invalid " + input, input + " has an empty identifier: give the identifier as it appears in mos.portal.", true
		}
		return "Invalid " + input, fmt.Sprintf("%s has the identifier %q, which cannot name a project or app in a URL: "+
			"give the identifier as it appears in mos.portal.", input, e.Value), true
	}
	return "", "", false
}

func portalAPIAdvice(e *portal.APIError) string {
	switch kind := e.Kind(); kind {
	case portal.CodeForbidden:
		// The contract answers 403, not 404, for a project the token cannot
		// see: a misspelled project reads exactly like a missing grant.
		return fmt.Sprintf("the mos-token has no access to project %q in mos.portal, or the project name is misspelled (%s). "+
			"Check mos-project: it is the project's identifier in mos.portal, not its display name. "+
			"If it is right, use a token issued for that project, or ask a project admin to grant this token access to it and its apps.",
			e.Project, e.Said(true))
	case portal.KindNotPortal:
		mosURL := "mos-url"
		if h := e.HostShown(); h != "" {
			mosURL = fmt.Sprintf("mos-url (host %s)", h)
		}
		return fmt.Sprintf("%s probably does not point at mos.portal's API: it answered %s without contract v1's error body (%s). "+
			"Set mos-url to the portal's base URL (without /api/v1), and check that the portal supports contract v1 (docs/mos-portal-contract.md).",
			mosURL, portal.StatusText(e.Status), e.Detail)
	case portal.KindBadAnswer:
		advice := portalContract
		if e.Resource != portal.ResourceKey {
			advice = strings.Replace(advice, "contract v1", "contract v1.1", 1)
		}
		return e.Error() + ": " + advice
	default:
		next, ok := portalNext[kind]
		if !ok {
			next = portalNext[portal.KindOther]
		}
		return e.Error() + next
	}
}

func portalRequestAdvice(e *portal.RequestError) (string, string, bool) {
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return "mos.portal did not answer in time", e.Error() + ": raise the timeout input, or check why mos.portal is slow.", true
	case errors.Is(e.Err, context.Canceled):
		return "Cancelled while talking to mos.portal", e.Error() + ".", true
	}
	return "Cannot reach mos.portal", e.Error() + ". Check mos-url and that the portal is up.", true
}
