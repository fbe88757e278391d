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
	"errors"
	"fmt"
	"html/template"
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

// layoutFile is the frame of the pages. When fsys holds it, every .html
// file is a page that defines the templates "head" (its title and script)
// and "main" (its content), and is served rendered into the frame; the
// frame itself is not served.
const layoutFile = "layout.tmpl"

// NewHandler reads every file of fsys into memory, renders the pages into
// their frame (see layoutFile), and returns a Handler serving them. Use
// NewHandler(Assets()) for the shop's front end.
func NewHandler(fsys fs.FS) (*Handler, error) {
	layout, err := parseLayout(fsys)
	if err != nil {
		return nil, err
	}
	h := &Handler{files: make(map[string]*file)}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || p == layoutFile {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if layout != nil && path.Ext(p) == ".html" {
			if data, err = renderPage(layout, p, data); err != nil {
				return err
			}
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

// parseLayout returns the frame of the pages, nil when fsys has none.
func parseLayout(fsys fs.FS) (*template.Template, error) {
	data, err := fs.ReadFile(fsys, layoutFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: read %s: %w", layoutFile, err)
	}
	t, err := template.New(layoutFile).Option("missingkey=error").Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return t, nil
}

// renderPage renders page p, whose source is src, into the layout.
func renderPage(layout *template.Template, p string, src []byte) ([]byte, error) {
	t, err := layout.Clone()
	if err != nil {
		return nil, fmt.Errorf("web: %s: %w", p, err)
	}
	if _, err := t.New(p).Parse(string(src)); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	for _, name := range []string{"head", "main"} {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("web: %s does not define %q", p, name)
		}
	}
	var out bytes.Buffer
	if err := t.ExecuteTemplate(&out, layoutFile, nil); err != nil {
		return nil, fmt.Errorf("web: render %s: %w", p, err)
	}
	return out.Bytes(), nil
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
