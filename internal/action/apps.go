package action

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/portal"
)

// noRecordsLog is said once when mos.portal keeps no app records.
const noRecordsLog = "mos.portal keeps no app records (contract v1.1): the bundle IDs of the apps are not checked"

// appRecords is what mos.portal's app records (contract v1.1) told the run
// before any store check.
type appRecords struct {
	read bool // the records were asked for (the mos inputs were given)
	// known: the portal keeps records, and list is what it said.
	known bool
	// list holds the requested apps' records: every app of the project for
	// mos-apps "*", in the portal's order; else the named apps it knows, in
	// the order of mos-apps.
	list []keysync.AppRecord
	// err is why the records could not be read, other than "no records"
	// (a refused token, an unreachable portal): no app is written then.
	err error
	// said: an annotation reported err (for the apps of a key that passed).
	said atomic.Bool
}

// readApps reads the requested apps' records: one listing for "*", else
// one GET per named app, concurrently. It reports once what went wrong: a
// portal without records is said in the log; any other failure is one
// error annotation, as every app then fails for that one cause.
func (r *run) readApps(ctx context.Context) {
	cfg := r.cfg
	if !cfg.hasMos() {
		return
	}
	r.records.read = true
	client := &portal.Client{BaseURL: cfg.mosURL, Token: cfg.mosToken, HTTP: r.httpClient("mos.portal")}
	var err error
	if cfg.allApps {
		var apps []portal.App
		apps, err = client.ListApps(ctx, cfg.mosProject)
		for _, a := range apps {
			r.records.list = append(r.records.list, record(a))
		}
	} else {
		err = r.getApps(ctx, client)
	}
	switch {
	case errors.Is(err, portal.ErrNoAppRecords) && cfg.allApps:
		r.errorf("mos.portal keeps no app records", "mos-apps is %q, every app of project %s as mos.portal's app records list them, "+
			"but this mos.portal keeps no app records (contract v1.1), so nothing was written: name the apps in mos-apps instead", allAppsEntry, cfg.mosProject)
	case errors.Is(err, portal.ErrNoAppRecords):
		r.logf("%s", noRecordsLog)
	case err != nil:
		// The runStore of each key annotates it for its apps, which the
		// report groups into one annotation naming them; "*" knows no apps,
		// so it is said here. Cut short by the run's timeout or a
		// cancellation, the run says so once instead.
		r.records.err = err
		if cfg.allApps {
			if ctx.Err() == nil {
				r.records.said.Store(true)
				r.annotate(err, "", "")
			}
			r.logf("mos.portal: the apps of project %s could not be listed, so no app is written", cfg.mosProject)
		}
	case cfg.allApps:
		r.records.known = true
		r.logf("mos.portal: project %s has %d %s", cfg.mosProject, len(r.records.list), plural(len(r.records.list), "app", "apps"))
	default:
		r.records.known = true
	}
}

// getApps reads the record of every named app, at most
// keysync.DefaultConcurrency at once. An app the portal does not know
// (app_not_found) has no record: its sync reports it, as without records.
// Any other failure is the run's: the first one in mos-apps order.
func (r *run) getApps(ctx context.Context, client *portal.Client) error {
	names := r.cfg.mosApps
	recs := make([]*portal.App, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, keysync.DefaultConcurrency)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			a, err := client.GetApp(ctx, r.cfg.mosProject, name)
			var apiErr *portal.APIError
			switch {
			case errors.As(err, &apiErr) && apiErr.Code == portal.CodeAppNotFound:
			case err != nil:
				errs[i] = err
			default:
				recs[i] = &a
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, portal.ErrNoAppRecords) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for _, a := range recs {
		if a != nil {
			r.records.list = append(r.records.list, record(*a))
		}
	}
	return nil
}

// sayRecordsErr reports a records read that failed when no key got as far
// as its apps (every key failed its check), so nothing else said it.
func (r *run) sayRecordsErr(ctx context.Context) {
	if r.records.err != nil && ctx.Err() == nil && !r.records.said.Load() {
		r.annotate(r.records.err, "", "")
	}
}

func record(a portal.App) keysync.AppRecord {
	rec := keysync.AppRecord{ID: a.ID}
	if a.IOS != nil {
		rec.BundleID = a.IOS.BundleID
	}
	if a.Android != nil {
		rec.PackageName = a.Android.PackageName
	}
	return rec
}

// selectApps chooses a store's apps. Named apps are all the key's, in the
// order of mos-apps; with records, each is cross-checked by the bundle ID
// or package its record names, if any, and those whose record names none
// (Without) are synced as without records. With "*", the apps of the
// project with an identity in this store; the others are not the key's.
func (r *run) selectApps(s *store) keysync.Selection {
	if r.cfg.allApps && !r.records.known {
		return keysync.Selection{}
	}
	sel := keysync.Select(r.records.list, keysync.Platform(s.platform))
	if r.cfg.allApps {
		sel.Without = nil
	} else {
		sel.Apps = r.cfg.mosApps
	}
	return sel
}

// unseenError is an app whose bundle ID or package, as its mos.portal
// record names it, the key cannot see. With mos-apps "*" the app is
// another team's and skipped; an app named in mos-apps fails.
type unseenError struct {
	App     string
	Noun    string // "bundle ID", "package"
	StoreID string
	Key     string // how the key is named: "key ABCDE12345"
	Whose   string // the key's owner: "Issuer ID …", "client email …" ("" in a skip)
	Store   string // "App Store Connect", "Google Play"
	Skipped bool
	Err     error // what the store answered, when there is more to say than "not visible"
}

func (e *unseenError) Title() string { return "App not visible to the " + e.Store + " key" }

func (e *unseenError) Error() string {
	if e.Skipped {
		return fmt.Sprintf("%s %s is not visible to %s: another team's app, left as it is", e.Noun, e.StoreID, e.Key)
	}
	msg := fmt.Sprintf("app %s is %s %s in mos.portal, which %s %s (%s) cannot see, so nothing was written to it. "+
		"The app belongs to another team, or the key's team has no access to it: remove it from mos-apps, or run it with its team's key.",
		e.App, e.Noun, e.StoreID, e.Store, e.Key, e.Whose)
	if e.Err != nil {
		msg += " " + e.Err.Error()
	}
	return msg
}

func (e *unseenError) Unwrap() error { return e.Err }
