package httpapi

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientIP finds the address of the client behind r. The peer (RemoteAddr) is the client unless it is a
// trusted proxy; then X-Forwarded-For is walked from the right — each entry was appended by the hop before
// it — skipping further trusted proxies, and the first untrusted address is the client. Entries left of it
// were written by the client itself and are never believed. An unparsable entry stops the walk at the last
// address a trusted hop vouched for.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !peer.IsValid() || !inAny(peer, trusted) {
		return peer
	}
	ip := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		entries := strings.Split(values[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			addr := parseHostAddr(strings.TrimSpace(entries[j]))
			if !addr.IsValid() {
				return ip
			}
			ip = addr
			if !inAny(addr, trusted) {
				return ip
			}
		}
	}
	return ip
}

// parseHostAddr parses "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" or "[::1]"; IPv4-mapped IPv6 becomes IPv4
// and zones are dropped. It returns the zero Addr when s is none of those.
func parseHostAddr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

func inAny(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
