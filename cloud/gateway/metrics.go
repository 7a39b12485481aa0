package gateway

// ConnectedCount returns the number of gateways whose traffic socket is
// configured (router_config sent), for the cloud's metrics.
func (s *Server) ConnectedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sess := range s.sessions {
		select {
		case <-sess.ready:
			n++
		default:
		}
	}
	return n
}
