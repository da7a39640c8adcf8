package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mos-tools/publisher-keys/internal/appstore"
	"github.com/mos-tools/publisher-keys/internal/play"
)

// Limits of the app listing (contract v1.1).
const (
	MaxAppsPerPage = 100 // a page holding more breaks the contract
	MaxAppPages    = 100 // the client reads no further than this
	maxCursorLen   = 1024
	maxNameLen     = 256 // bytes of an app's display name
)

// CodeNotFound is the code a portal answers for a path it does not serve.
const CodeNotFound = "not_found"

// ErrNoAppRecords says that mos.portal keeps no app records: it answered the
// app routes of contract v1.1 with a 404 that names no project or app, as a
// contract v1 portal does. Test for it with errors.Is.
var ErrNoAppRecords = errors.New("mos.portal keeps no app records (contract v1.1)")

// App is what mos.portal knows of an app (contract v1.1).
type App struct {
	ID      string           // the app's identifier, as the action is given it
	Name    string           // its display name
	IOS     *IOSIdentity     // nil: the app is not built for iOS
	Android *AndroidIdentity // nil: the app is not built for Android
}

// IOSIdentity is an app's identity in App Store Connect.
type IOSIdentity struct {
	BundleID string
}

// AndroidIdentity is an app's identity in Google Play.
type AndroidIdentity struct {
	PackageName string
}

// ListApps reads the records of every app in project, following the
// listing's pages. A portal without records is ErrNoAppRecords; more than
// MaxAppPages pages, a repeated cursor or an app listed twice break the
// contract (*APIError).
func (c *Client) ListApps(ctx context.Context, project string) ([]App, error) {
	var apps []App
	seenApp := map[string]bool{}
	seenCursor := map[string]bool{}
	op := call{method: http.MethodGet, project: project, resource: ResourceApps}
	for page := 1; page <= MaxAppPages; page++ {
		status, body, err := c.do(ctx, op, nil)
		if err != nil {
			return nil, noRecords(op, err)
		}
		if status != http.StatusOK {
			return nil, op.unexpected(status, "the status is not 200")
		}
		pageApps, next, err := decodeAppPage(body)
		if err != nil {
			return nil, op.unexpected(status, fmt.Sprintf("page %d: %v", page, err))
		}
		for i, a := range pageApps {
			if seenApp[a.ID] {
				return nil, op.unexpected(status, fmt.Sprintf("page %d: apps[%d].id names an app listed before", page, i))
			}
			seenApp[a.ID] = true
		}
		apps = append(apps, pageApps...)
		if next == nil {
			return apps, nil
		}
		if seenCursor[*next] {
			return nil, op.unexpected(status, fmt.Sprintf("page %d: next repeats the cursor of an earlier page", page))
		}
		seenCursor[*next] = true
		op.query = "cursor=" + url.QueryEscape(*next)
	}
	return nil, op.unexpected(http.StatusOK, fmt.Sprintf("the listing goes on past %d pages", MaxAppPages))
}

// GetApp reads the record of app in project. A portal without records is
// ErrNoAppRecords; an app it does not know is an *APIError with code
// app_not_found.
func (c *Client) GetApp(ctx context.Context, project, app string) (App, error) {
	op := call{method: http.MethodGet, project: project, app: app, resource: ResourceApp}
	status, body, err := c.do(ctx, op, nil)
	if err != nil {
		return App{}, noRecords(op, err)
	}
	if status != http.StatusOK {
		return App{}, op.unexpected(status, "the status is not 200")
	}
	a, err := decodeApp(body)
	if err != nil {
		return App{}, op.unexpected(status, err.Error())
	}
	if a.ID != app {
		return App{}, op.unexpected(status, "the field id names another app than the one asked for")
	}
	return a, nil
}

// noRecords turns the 404 of a route the portal does not serve (no
// contract error body, or code not_found) into ErrNoAppRecords. A 404 with
// project_not_found or app_not_found comes from a portal that has records.
func noRecords(op call, err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && (apiErr.Code == "" || apiErr.Code == CodeNotFound) {
		return fmt.Errorf("%w: GET %s answered 404 (%s)", ErrNoAppRecords, op.path(), apiErr.Said(false))
	}
	return err
}

// Wire forms: every field a pointer, so a missing or null field is told
// apart from an empty one.
type appPageWire struct {
	Apps *[]json.RawMessage `json:"apps"`
	Next json.RawMessage    `json:"next"`
}

type appWire struct {
	ID      *string              `json:"id"`
	Name    *string              `json:"name"`
	IOS     *iosIdentityWire     `json:"ios"`
	Android *androidIdentityWire `json:"android"`
}

type iosIdentityWire struct {
	BundleID *string `json:"bundleId"`
}

type androidIdentityWire struct {
	PackageName *string `json:"packageName"`
}

// decodeAppPage decodes one page of the listing; next is nil on the last
// page. Errors name the field at fault and never quote the body.
func decodeAppPage(body []byte) (apps []App, next *string, err error) {
	var w appPageWire
	if err := decodeRecord(body, &w); err != nil {
		return nil, nil, err
	}
	if w.Apps == nil {
		return nil, nil, errors.New("the field apps is missing or not an array")
	}
	if len(*w.Apps) > MaxAppsPerPage {
		return nil, nil, fmt.Errorf("the page holds more than %d apps", MaxAppsPerPage)
	}
	switch raw := bytes.TrimSpace(w.Next); {
	case len(raw) == 0:
		return nil, nil, errors.New("the field next is missing")
	case string(raw) == "null":
	default:
		var cursor string
		if json.Unmarshal(raw, &cursor) != nil {
			return nil, nil, errors.New("the field next is neither a string nor null")
		}
		if cursor == "" || len(cursor) > maxCursorLen {
			return nil, nil, fmt.Errorf("the field next is not a cursor (1 to %d characters)", maxCursorLen)
		}
		next = &cursor
	}
	apps = make([]App, 0, len(*w.Apps))
	for i, raw := range *w.Apps {
		if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || trimmed[0] != '{' {
			return nil, nil, fmt.Errorf("apps[%d] is not a JSON object", i)
		}
		a, err := decodeApp(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("apps[%d]: %w", i, err)
		}
		apps = append(apps, a)
	}
	return apps, next, nil
}

// decodeApp decodes and checks one app record.
func decodeApp(body []byte) (App, error) {
	var w appWire
	if err := decodeRecord(body, &w); err != nil {
		return App{}, err
	}
	switch {
	case w.ID == nil:
		return App{}, errors.New("the field id is missing")
	case !validAppID(*w.ID):
		return App{}, errors.New("the field id is not an app identifier (as a mos-apps entry)")
	case w.Name == nil:
		return App{}, errors.New("the field name is missing")
	case !validName(*w.Name):
		return App{}, fmt.Errorf("the field name is not a display name (1 to %d bytes of printable text)", maxNameLen)
	}
	a := App{ID: *w.ID, Name: *w.Name}
	if w.IOS != nil {
		switch {
		case w.IOS.BundleID == nil:
			return App{}, errors.New("the field ios.bundleId is missing")
		case !validBundleID(*w.IOS.BundleID):
			return App{}, errors.New("the field ios.bundleId is not a bundle ID (letters, digits, hyphens and periods)")
		}
		a.IOS = &IOSIdentity{BundleID: *w.IOS.BundleID}
	}
	if w.Android != nil {
		switch {
		case w.Android.PackageName == nil:
			return App{}, errors.New("the field android.packageName is missing")
		case !validPackageName(*w.Android.PackageName):
			return App{}, errors.New("the field android.packageName is not an Android package name")
		}
		a.Android = &AndroidIdentity{PackageName: *w.Android.PackageName}
	}
	return a, nil
}

// validAppID applies the rules of an app identifier as the action is given
// it, in a list it splits on commas and newlines and trims: no separator,
// no surrounding space, not "*" (all apps), and one path segment
// (checkSegment).
func validAppID(id string) bool {
	if checkSegment(IDApp, id) != nil || id == "*" || len(id) > maxNameLen ||
		!utf8.ValidString(id) || strings.TrimSpace(id) != id || strings.ContainsRune(id, ',') {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool { return !unicode.IsPrint(r) })
}

func validName(name string) bool {
	if name == "" || len(name) > maxNameLen || !utf8.ValidString(name) {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) })
}

// validBundleID and validPackageName are the action's own input rules for
// asc-bundle-ids and play-package-names: a record is held to the same.
func validBundleID(id string) bool { return appstore.CheckBundleID(id) == nil }

func validPackageName(name string) bool { return play.CheckPackageName(name) == nil }
