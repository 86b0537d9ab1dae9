package escalations

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// forbidden matches names that would hold content or contact details.
// Duty workers may see a client's pseudonym, so unlike the managers' view
// this projection may hold one; never a body, a number or a message text.
var forbidden = regexp.MustCompile(`(?i)body|number|phone|text|content`)

// exportedTypes is every exported type of the package; the test below
// checks the list is complete.
var exportedTypes = []reflect.Type{
	reflect.TypeFor[Conversation](), reflect.TypeFor[Cursor](), reflect.TypeFor[Escalation](),
	reflect.TypeFor[MemoryStore](), reflect.TypeFor[Page](), reflect.TypeFor[Queue](),
	reflect.TypeFor[SQLStore](), reflect.TypeFor[Store](), reflect.TypeFor[Tx](), reflect.TypeFor[Snapshot](),
}

func TestNoContentFields(t *testing.T) {
	t.Parallel()
	pkg := reflect.TypeFor[Escalation]().PkgPath()
	seen := map[reflect.Type]bool{}
	var walk func(path string, ty reflect.Type)
	walk = func(path string, ty reflect.Type) {
		if seen[ty] || ty.PkgPath() != "" && ty.PkgPath() != pkg {
			return // other packages' types are not ours
		}
		seen[ty] = true
		if forbidden.MatchString(ty.Name()) {
			t.Errorf("type %s is named like content", path)
		}
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if forbidden.MatchString(f.Name) {
					t.Errorf("field %s.%s could hold content or a phone number", path, f.Name)
				}
				walk(path+"."+f.Name, f.Type)
			}
		case reflect.Array, reflect.Slice, reflect.Pointer, reflect.Map:
			walk(path, ty.Elem())
		}
	}
	for _, ty := range exportedTypes {
		walk(ty.Name(), ty)
	}

	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared, listed []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			for name, obj := range f.Scope.Objects {
				if obj.Kind == ast.Typ && ast.IsExported(name) {
					declared = append(declared, name)
				}
			}
		}
	}
	for _, ty := range exportedTypes {
		listed = append(listed, ty.Name())
	}
	sort.Strings(declared)
	sort.Strings(listed)
	if !reflect.DeepEqual(declared, listed) {
		t.Fatalf("exported types %v, test lists %v", declared, listed)
	}
}

// TestNoContentColumns checks the escalations schema's columns. The
// managers' schema is checked by package projections, which also keeps
// the pseudonym out of it.
func TestNoContentColumns(t *testing.T) {
	t.Parallel()
	pool := migratedPool(t)
	rows, err := pool.Query(context.Background(), `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'escalations'`)
	if err != nil {
		t.Fatal(err)
	}
	var table, column string
	n := 0
	if _, err := pgx.ForEachRow(rows, []any{&table, &column}, func() error {
		n++
		if forbidden.MatchString(table) || forbidden.MatchString(column) {
			t.Errorf("column escalations.%s.%s could hold content or a phone number", table, column)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("only %d columns seen: is the schema migrated?", n)
	}
}
