package web

// RoutesForTest lists every registered route as "METHOD path".
func (s *Server) RoutesForTest() []string {
	var out []string
	for _, r := range s.echo.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
