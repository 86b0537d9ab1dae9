package lexicon

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// versionsSum records, one line per version, what each lexicon and rules
// version names (see doc.go, Versions).
const versionsSum = "data/versions.sum"

// rulesEngine are the Go files the rules version does not name: the
// matcher's engine, whose changes keep every match (automaton_test.go,
// cueindex_test.go).
var rulesEngine = []string{"wordmatch.go", "cueindex.go"}

// lexiconDataHash is the SHA-256 of what a language's version names: its
// lexicon and its generated vocabulary, one after the other, as
// `cat data/en.yaml data/generated/en.yaml | sha256sum` prints it.
func lexiconDataHash(t *testing.T, lang string) string {
	t.Helper()
	h := sha256.New()
	for _, name := range []string{"data/" + lang + ".yaml", "data/generated/" + lang + ".yaml"} {
		b, err := fs.ReadFile(shipped, name)
		if err != nil && !strings.Contains(name, "generated") {
			t.Fatal(err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// rulesCodeHash is the SHA-256 of what the rules version names: the
// package's Go code but the tests and the matcher's engine, as tokens, so
// that comments and layout are not part of it.
func rulesCodeHash(t *testing.T) string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") || slices.Contains(rulesEngine, name) {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "file %s\n", name)
		fset := token.NewFileSet()
		var s scanner.Scanner
		s.Init(fset.AddFile(name, -1, len(src)), src, func(pos token.Position, msg string) { t.Fatalf("%s: %s", pos, msg) }, 0)
		for {
			_, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.SEMICOLON { // written or inserted at a line's end
				lit = ""
			}
			fmt.Fprintf(h, "%s %s\n", tok, lit)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

type versionLine struct {
	line int
	hash string
}

// readVersionsSum reads data/versions.sum: "<what> <version> <sha256>"
// per line, '#' comments. It fails on a version given two lines.
func readVersionsSum(t *testing.T) map[[2]string]versionLine {
	t.Helper()
	f, err := os.Open(versionsSum)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[[2]string]versionLine{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 3 || len(fields[2]) != 64 {
			t.Errorf("%s:%d: %q: want \"<what> <version> <sha256 in hex>\"", versionsSum, n, text)
			continue
		}
		key := [2]string{fields[0], fields[1]}
		if prev, ok := sums[key]; ok {
			t.Errorf("%s:%d: %s %s has a second line (the first is line %d): two changes were given one version, "+
				"as when two branches bump to the same number and a rebase merges the equal version lines; "+
				"keep the line of the change landed first and give the later one the next version", versionsSum, n, key[0], key[1], prev.line)
			continue
		}
		sums[key] = versionLine{n, fields[2]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

// TestVersionsSum fails when the lexicon data or the rules code changed
// without a new version, or when one version names two different data:
// verdicts record the versions, so a version must name one lexicon and one
// rules code. Its message says which line to add.
func TestVersionsSum(t *testing.T) {
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	sums := readVersionsSum(t)
	type current struct{ what, version, hash, where, bump string }
	var now []current
	for _, p := range l.parts {
		now = append(now, current{p.Language, p.Version, lexiconDataHash(t, p.Language),
			"data/" + p.Language + ".yaml and data/generated/" + p.Language + ".yaml",
			"its version: in data/" + p.Language + ".yaml"})
	}
	now = append(now, current{"rules", RulesVersion, rulesCodeHash(t),
		"the package's Go code (but tests, " + strings.Join(rulesEngine, ", ") + "; comments and layout left out)",
		"RulesVersion in rules.go"})
	mh := sha256.Sum256(shippedModel)
	now = append(now, current{"model", ModelVersion, hex.EncodeToString(mh[:]), "data/model.bin", "ModelVersion in model.go"})
	for _, c := range now {
		rec, ok := sums[[2]string{c.what, c.version}]
		switch {
		case !ok:
			t.Errorf("%s has no line for %s %s: add this line at its end:\n%s %s %s", versionsSum, c.what, c.version, c.what, c.version, c.hash)
		case rec.hash != c.hash:
			t.Errorf("%s:%d records %s %s as %s, but %s now hash to %s: they changed under a version verdicts already record "+
				"(or another change landed under the same version). Bump %s, then add at the end of %s:\n%s <new version> %s",
				versionsSum, rec.line, c.what, c.version, rec.hash[:12], c.where, c.hash[:12], c.bump, versionsSum, c.what, c.hash)
		}
	}
}
