// Package httpapi holds what every JSON handler of the shop shares:
// reading JSON or form-encoded bodies, writing JSON, and the single mapping
// from domain errors (package errs) to HTTP statuses and bodies.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/livebuy/shop/internal/errs"
)

// MaxBodyBytes bounds every request body the API reads.
const MaxBodyBytes = 64 << 10

// Messages shown for failures that are not the domain's.
const (
	msgInternal    = "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."
	msgBadBody     = "요청 본문을 읽을 수 없습니다."
	msgTooLarge    = "요청 본문이 너무 큽니다."
	msgUnsupported = "지원하지 않는 요청 형식입니다."
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	ErrorMessage string `json:"errorMessage"`
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone; nothing useful to do
}

// Error writes err as {"errorMessage"} with the status of its kind. Internal
// and Unavailable errors are logged with the request id; an Internal one is
// shown as a generic message, an Unavailable one with its own.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		e = errs.Wrap(err, msgInternal)
	}
	status := Status(e.Kind)
	msg := e.Message
	if (e.Kind == errs.Internal || e.Kind == errs.Unavailable) && log != nil {
		log.ErrorContext(r.Context(), "request failed",
			"request_id", middleware.GetReqID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.Kind == errs.Internal {
		msg = msgInternal
	}
	if e.Kind == errs.TooManyRequests && e.RetryAfter > 0 {
		secs := int((e.RetryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	WriteJSON(w, status, ErrorBody{ErrorMessage: msg})
}

// Status maps an error kind to its HTTP status.
func Status(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.TooManyRequests:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Decode reads the request body into dst, a pointer to a struct whose fields
// carry json tags. It accepts application/json and
// application/x-www-form-urlencoded (the original front end posts forms, so
// every value arrives as a string: form fields are converted to the field's
// type, and types such as Int accept both forms). An empty body leaves dst
// unchanged. Failures are errs.Invalid errors with a readable message.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return bodyError(err)
		}
		return decodeForm(r.PostForm, dst)
	case "application/json", "":
		dec := json.NewDecoder(r.Body)
		err := dec.Decode(dst)
		switch {
		case errors.Is(err, io.EOF):
			return nil // an empty body: every field keeps its zero value
		case err != nil:
			return bodyError(err)
		}
		if dec.More() {
			return errs.E(errs.Invalid, msgBadBody)
		}
		return nil
	default:
		return &errs.Error{Kind: errs.Invalid, Message: msgUnsupported}
	}
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &errs.Error{Kind: errs.Invalid, Message: msgTooLarge, Err: err}
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("%s 값의 형식이 올바르지 않습니다.", typeErr.Field), Err: err}
	}
	return &errs.Error{Kind: errs.Invalid, Message: msgBadBody, Err: err}
}

// decodeForm copies form values into the json-tagged fields of dst by
// re-encoding them as JSON strings, so that every field type decodes form
// input the same way it decodes JSON input.
func decodeForm(form map[string][]string, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("httpapi: decode form into %T: want a pointer to a struct", dst)
	}
	rt := rv.Elem().Type()
	obj := make(map[string]json.RawMessage, rt.NumField())
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		vals, ok := form[name]
		if !ok || len(vals) == 0 {
			continue
		}
		raw, err := formValue(f.Type, vals[0])
		if err != nil {
			return &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("%s 값의 형식이 올바르지 않습니다.", name), Err: err}
		}
		obj[name] = raw
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("httpapi: re-encode form: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return bodyError(err)
	}
	return nil
}

// formValue encodes one form string as the JSON the field type expects:
// a JSON string for strings and for types that parse strings themselves,
// a JSON number for plain numeric fields.
func formValue(t reflect.Type, s string) (json.RawMessage, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil {
			return nil, err
		}
		return json.RawMessage(strings.TrimSpace(s)), nil
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return nil, err
		}
		return json.RawMessage(strings.TrimSpace(s)), nil
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(strconv.FormatBool(b)), nil
	}
	return json.Marshal(s)
}
