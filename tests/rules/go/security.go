// Security rules in Go: `expect: CODE` marks where a finding must start.
package main

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"fmt"
	"net/http"
	osexec "os/exec"
)

const githubToken = "ghp_4f9aZ2kQ8mXbW1cR7tYhL0pN3sVdE6uJ5gKq" // expect: LS104
const PasswordField = "password"

var dbPassword = "Sup3r-S3cret-Pa55" // expect: LS104

func commands(name string, dir string) {
	osexec.Command("sh", "-c", "ls "+dir)            // expect: LS102
	script := fmt.Sprintf("tar czf %s.tgz %s", name, dir)
	osexec.Command("bash", "-c", script)             // expect: LS102
	osexec.Command("ls", "-la", dir)
	osexec.Command("sh", "-c", "ls -la")
}

func queries(db *sql.DB, name string, id int) {
	db.Query("SELECT * FROM users WHERE name = '" + name + "'") // expect: LS103
	q := fmt.Sprintf("DELETE FROM sessions WHERE user = '%s'", name)
	db.Exec(q) // expect: LS103 LB213
	db.Query("SELECT * FROM users WHERE name = $1", name)
	limit := fmt.Sprintf("SELECT * FROM users LIMIT %d", id)
	db.Query(limit)
}

func hashPassword(password string) [16]byte {
	return md5.Sum([]byte(password)) // expect: LS107
}

func checksum(data []byte) [32]byte {
	_ = md5.Sum(data)
	return sha256.Sum256(data)
}

func client() *http.Client {
	insecure := &tls.Config{InsecureSkipVerify: true} // expect: LS108
	secure := &tls.Config{MinVersion: tls.VersionTLS12}
	_ = secure
	return &http.Client{Transport: &http.Transport{TLSClientConfig: insecure}}
}
