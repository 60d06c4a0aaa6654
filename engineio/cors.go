package engineio

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CORS is the cross-origin policy of a Server. It governs the CORS headers of
// polling responses and preflights, and which Origin a request (polling or
// WebSocket) may come from.
type CORS struct {
	// Origins lists the allowed origins ("https://app.example.com"); "*"
	// allows any origin.
	Origins []string
	// AllowOrigin, when set, decides for origins that Origins does not list.
	AllowOrigin func(origin string) bool
	// Credentials sets Access-Control-Allow-Credentials: true (the response
	// then names the origin instead of "*").
	Credentials bool
	// Methods for preflight responses. Default GET, POST.
	Methods []string
	// Headers allowed in preflight responses. Default: what the preflight asks for.
	Headers []string
	// MaxAge of a preflight response in seconds; 0 sends none.
	MaxAge int
}

// originAllowed reports whether a request may proceed: no Origin header (not
// a browser), the same host as the request, or an origin the CORS policy allows.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if c := s.opts.CORS; c != nil && c.allows(origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

func (c *CORS) allows(origin string) bool {
	for _, o := range c.Origins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return c.AllowOrigin != nil && c.AllowOrigin(origin)
}

// setCORSHeaders writes the CORS headers of a response to a cross-origin
// request that the policy allows.
func (s *Server) setCORSHeaders(w http.ResponseWriter, r *http.Request) {
	c := s.opts.CORS
	origin := r.Header.Get("Origin")
	if c == nil || origin == "" || !c.allows(origin) {
		return
	}
	h := w.Header()
	if c.Credentials || !c.hasWildcard() {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	if c.Credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

func (c *CORS) hasWildcard() bool {
	for _, o := range c.Origins {
		if o == "*" {
			return true
		}
	}
	return false
}

// preflight answers an OPTIONS request.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	c := s.opts.CORS
	if c == nil || !c.allows(r.Header.Get("Origin")) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.setCORSHeaders(w, r)
	h := w.Header()
	methods := "GET,POST"
	if len(c.Methods) > 0 {
		methods = strings.Join(c.Methods, ",")
	}
	h.Set("Access-Control-Allow-Methods", methods)
	if len(c.Headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.Headers, ","))
	} else if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}
