// Package web embeds the shop's browser front end (web/assets) and serves it.
//
// The socket.io browser client under assets/vendor is not committed: `npm ci`
// copies it there from the pinned npm package (scripts/vendor.mjs) before the
// shop is built, so the binary carries it and needs no CDN.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var embedded embed.FS

// Assets returns the front end's files, rooted at web/assets: "index.html",
// "js/live.js", "images/goods/mug.svg" and so on.
func Assets() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		// fs.Sub fails only for an invalid directory name, a constant here.
		panic(fmt.Sprintf("web: sub assets: %v", err))
	}
	return sub
}

// ContentSecurityPolicy is sent with every HTML page. The pages load only
// their own scripts, styles and socket, so injected markup can neither run
// script nor send data elsewhere; goods images may live on another HTTPS host.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Handler serves a file system of static assets with an explicit
// Content-Type, a strong ETag and a Cache-Control policy per kind of file:
// pages, scripts and styles are revalidated on every use (their names carry
// no version, so a new build must show at once), images are cached for a day.
// "/" and any path ending in "/" serve that directory's index.html; there are
// no directory listings. A Handler is safe for concurrent use.
type Handler struct {
	files map[string]*file // by slash path without the leading "/"
}

type file struct {
	name        string
	data        []byte
	etag        string
	contentType string
	cache       string
}

// NewHandler reads every file of fsys into memory and returns a Handler
// serving them. Use NewHandler(Assets()) for the shop's front end.
func NewHandler(fsys fs.FS) (*Handler, error) {
	h := &Handler{files: make(map[string]*file)}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		h.files[p] = &file{
			name:        path.Base(p),
			data:        data,
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
			contentType: contentType(p),
			cache:       cachePolicy(p),
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: read assets: %w", err)
	}
	return h, nil
}

// ServeHTTP serves the file named by the request path. Only GET and HEAD are
// allowed; conditional and range requests are answered by http.ServeContent.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.lookup(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", f.cache)
	hdr.Set("ETag", f.etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	if strings.HasPrefix(f.contentType, "text/html") {
		hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	}
	// A zero modification time makes ServeContent rely on the ETag alone,
	// which, unlike the build time, changes exactly when the content does.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
}

func (h *Handler) lookup(urlPath string) (*file, bool) {
	p := path.Clean("/" + urlPath)
	if strings.HasSuffix(urlPath, "/") {
		p = path.Join(p, "index.html")
	}
	f, ok := h.files[strings.TrimPrefix(p, "/")]
	return f, ok
}

// contentType names types explicitly for what the front end serves, since
// mime.TypeByExtension depends on the host's mime tables.
func contentType(p string) string {
	ext := strings.ToLower(path.Ext(p))
	switch ext {
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".json", ".map":
		return "application/json; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".webmanifest":
		return "application/manifest+json"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func cachePolicy(p string) string {
	if strings.HasPrefix(p, "images/") {
		return "public, max-age=86400"
	}
	return "no-cache"
}
