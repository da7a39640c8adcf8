package ascstandin

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	defaultLimit = 50
	maxLimit     = 200
)

// appFields are the attributes of an app the stand-in knows, in the order
// Apple lists them.
var appFields = []string{"name", "bundleId", "sku", "primaryLocale"}

// appFilters are the filter[…] parameters the stand-in implements, each
// matching exactly one of a comma-separated list of values.
var appFilters = map[string]func(App) string{
	"bundleId": func(a App) string { return a.BundleID },
	"id":       func(a App) string { return a.ID },
	"name":     func(a App) string { return a.Name },
	"sku":      func(a App) string { return a.SKU },
}

type appResource struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Links      selfLink       `json:"links"`
}

type selfLink struct {
	Self string `json:"self"`
}

type appDocument struct {
	Data  appResource `json:"data"`
	Links selfLink    `json:"links"`
}

type appsDocument struct {
	Data  []appResource `json:"data"`
	Links pageLinks     `json:"links"`
	Meta  pageMeta      `json:"meta"`
}

type pageLinks struct {
	Self string `json:"self"`
	Next string `json:"next,omitempty"`
}

type pageMeta struct {
	Paging paging `json:"paging"`
}

type paging struct {
	Total int `json:"total"`
	Limit int `json:"limit"`
}

// listQuery is a parsed GET /v1/apps query.
type listQuery struct {
	limit   int
	offset  int
	fields  []string
	filters map[string][]string
}

// listApps answers GET /v1/apps with the apps of the key's team.
func (s *Server) listApps(w http.ResponseWriter, r *http.Request, key Key) {
	q, values, bad := parseListQuery(r.URL.RawQuery)
	if bad != nil {
		writeError(w, http.StatusBadRequest, *bad)
		return
	}
	var matched []App
	for _, a := range s.teamApps(key.IssuerID) {
		if q.match(a) {
			matched = append(matched, a)
		}
	}
	base := baseURL(r)
	doc := appsDocument{
		Data:  []appResource{},
		Links: pageLinks{Self: base + r.URL.RequestURI()},
		Meta:  pageMeta{Paging: paging{Total: len(matched), Limit: q.limit}},
	}
	start := min(q.offset, len(matched))
	end := min(start+q.limit, len(matched))
	for _, a := range matched[start:end] {
		doc.Data = append(doc.Data, resource(base, a, q.fields))
	}
	if end < len(matched) {
		values.Set("cursor", encodeCursor(end))
		values.Set("limit", strconv.Itoa(q.limit))
		doc.Links.Next = base + "/v1/apps?" + values.Encode()
	}
	writeJSON(w, http.StatusOK, doc)
}

// getApp answers GET /v1/apps/{id}.
func (s *Server) getApp(w http.ResponseWriter, r *http.Request, key Key, id string) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, invalidParam("", "The query string could not be parsed."))
		return
	}
	var fields []string
	for name, v := range values {
		if name != "fields[apps]" {
			writeError(w, http.StatusBadRequest, illegalParam(name))
			return
		}
		var bad *errorObject
		if fields, bad = parseFields(name, v); bad != nil {
			writeError(w, http.StatusBadRequest, *bad)
			return
		}
	}
	for _, a := range s.teamApps(key.IssuerID) {
		if a.ID == id {
			base := baseURL(r)
			writeJSON(w, http.StatusOK, appDocument{Data: resource(base, a, fields), Links: selfLink{Self: base + r.URL.RequestURI()}})
			return
		}
	}
	writeError(w, http.StatusNotFound, notFound(fmt.Sprintf("There is no resource of type 'apps' with id '%s'", id)))
}

func parseListQuery(raw string) (listQuery, url.Values, *errorObject) {
	q := listQuery{limit: defaultLimit, filters: map[string][]string{}}
	values, err := url.ParseQuery(raw)
	if err != nil {
		e := invalidParam("", "The query string could not be parsed.")
		return q, nil, &e
	}
	// Parameters in a fixed order, so that the first error is the same every time.
	for _, name := range slices.Sorted(maps.Keys(values)) {
		v := values[name]
		if len(v) != 1 {
			e := invalidParam(name, fmt.Sprintf("The parameter '%s' can only be given once.", name))
			return q, nil, &e
		}
		var bad *errorObject
		switch {
		case name == "limit":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > maxLimit {
				e := invalidParam(name, fmt.Sprintf("'%s' is not a valid value for the parameter 'limit'. The value must be an integer from 1 to %d.", v[0], maxLimit))
				return q, nil, &e
			}
			q.limit = n
		case name == "cursor":
			n, ok := decodeCursor(v[0])
			if !ok {
				e := invalidParam(name, fmt.Sprintf("'%s' is not a valid cursor for this request.", v[0]))
				return q, nil, &e
			}
			q.offset = n
		case name == "fields[apps]":
			q.fields, bad = parseFields(name, v)
		case strings.HasPrefix(name, "filter[") && strings.HasSuffix(name, "]"):
			field := strings.TrimSuffix(strings.TrimPrefix(name, "filter["), "]")
			if _, ok := appFilters[field]; !ok {
				e := invalidParam(name, fmt.Sprintf("'%s' is not a valid filter type", field))
				return q, nil, &e
			}
			list := slices.DeleteFunc(strings.Split(v[0], ","), func(s string) bool { return s == "" })
			if len(list) == 0 {
				e := invalidParam(name, fmt.Sprintf("The filter '%s' needs at least one value.", field))
				return q, nil, &e
			}
			q.filters[field] = list
		default:
			e := illegalParam(name)
			return q, nil, &e
		}
		if bad != nil {
			return q, nil, bad
		}
	}
	return q, values, nil
}

// parseFields reads a sparse fieldset: a comma-separated list of attributes.
func parseFields(name string, v []string) ([]string, *errorObject) {
	if len(v) != 1 || v[0] == "" {
		e := invalidParam(name, fmt.Sprintf("The parameter '%s' needs one comma-separated list of field names.", name))
		return nil, &e
	}
	fields := strings.Split(v[0], ",")
	for _, f := range fields {
		if !slices.Contains(appFields, f) {
			e := invalidParam(name, fmt.Sprintf("'%s' is not a valid field name", f))
			return nil, &e
		}
	}
	return fields, nil
}

func (q listQuery) match(a App) bool {
	for field, want := range q.filters {
		if !slices.Contains(want, appFilters[field](a)) {
			return false
		}
	}
	return true
}

// resource renders a as JSON:API, with only fields if any are given.
func resource(base string, a App, fields []string) appResource {
	all := map[string]any{"name": a.Name, "bundleId": a.BundleID, "sku": a.SKU, "primaryLocale": a.PrimaryLocale}
	attrs := all
	if fields != nil {
		attrs = map[string]any{}
		for _, f := range fields {
			attrs[f] = all[f]
		}
	}
	return appResource{
		Type:       "apps",
		ID:         a.ID,
		Attributes: attrs,
		Links:      selfLink{Self: base + "/v1/apps/" + url.PathEscape(a.ID)},
	}
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Cursors are opaque to clients, as Apple's are; here they hold an offset.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "o:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
