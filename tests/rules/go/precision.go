// Precision: real-code patterns that look like findings and are not (quiet), next to
// the real finding of the same kind (marked). LB213 resolves each callee to its
// declaration; nothing is matched by name.
package precision

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"io"
	"os"
	"strconv"
	"sync"
)

type server struct{}

func (s *server) countError(name string, err error) error { return err }

// The countError called here is the func(string) parameter, which returns nothing.
func parse(p []byte, countError func(string), report func(string) error) error {
	if len(p) < 8 {
		countError("frame_too_short")
		report("frame_too_short") // expect: LB213
		return errors.New("short frame")
	}
	return nil
}

// Calls that cannot fail or return nothing.
func encodeAll(src []byte) []byte {
	var wg sync.WaitGroup
	dst := make([]byte, base64.StdEncoding.EncodedLen(len(src)))
	wg.Add(1)
	go func() {
		defer wg.Done()
		base64.StdEncoding.Encode(dst, src)
	}()
	wg.Wait()
	h := sha256.New()
	h.Write(src)
	return h.Sum(dst)
}

type sink struct{}

func (sink) WriteString(s string) (int, error) { return len(s), nil }

func header(name string, out *os.File) string {
	var buf bytes.Buffer
	buf.WriteString("[")
	io.WriteString(&buf, name)
	buf.WriteString("]")
	io.WriteString(out, name) // expect: LB213
	out.WriteString("]")      // expect: LB213
	var s sink
	s.WriteString(name) // expect: LB213
	return buf.String()
}

// A writer that keeps its first error, read at the end: nothing is lost.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

func (s *stickyWriter) Flush() error { return s.err }

func writeFrames(s *stickyWriter, frames [][]byte) error {
	for _, f := range frames {
		s.Write(f)
	}
	s.Flush()
	return s.err
}

func writeAndForget(s *stickyWriter, frames [][]byte) {
	for _, f := range frames {
		s.Write(f) // expect: LB213
	}
}

// NaN tests are not constant conditions.
func isNaN(f float64) bool {
	return f != f || !(f == f)
}

func never(f float64) bool {
	return f < f // expect: LB208
}

// A server owns the listener it serves, and closes it.
func serveForever(srv *http.Server) error {
	ln, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		return err
	}
	return srv.Serve(ln)
}

func listenAndLeak() error {
	ln, err := net.Listen("tcp", "localhost:0") // expect: LB210
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	return nil
}

// LP302: one finding per accumulator and loop.
func dotted(parts []int) string {
	s := ""
	for i, v := range parts {
		if i > 0 {
			s += "." // expect: LP302
		}
		s += strconv.Itoa(v)
	}
	return s
}
