package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// What both ports share to decode a request and answer it.

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// respond answers a JSON call: its error, for the one error map, or v
// as JSON with the status.
func respond(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// noContent answers a JSON command that returns nothing: its error, or
// 204.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// seeOther answers a page's form: its error, for the one error map, or a
// redirect to the page that shows what it did (post, redirect, get).
func seeOther(w http.ResponseWriter, r *http.Request, to string, err error) error {
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// decodeJSON reads a JSON object body into v, refusing unknown fields.
func decodeJSON(r *http.Request, v any) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return badRequest("send application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return badRequest("the body is not the expected JSON")
	}
	return nil
}

// pageParams reads cursor and limit from the query.
func pageParams(r *http.Request) (string, int, error) {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return "", 0, badRequest("limit must be 1 to 500")
		}
		limit = n
	}
	return r.URL.Query().Get("cursor"), limit, nil
}
