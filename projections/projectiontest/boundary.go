package projectiontest

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
	"github.com/jackc/pgx/v5/pgxpool"
)

// Boundary is what a projection may not hold, for its audience: names of
// types, fields, tables and columns that match Forbidden are errors.
type Boundary struct {
	// Forbidden matches names of things the projection must not be able
	// to hold.
	Forbidden *regexp.Regexp
	// What says what they could hold, for error messages ("content or a
	// phone number").
	What string
	// Field, when set, checks one struct field further (a body must be
	// sealed): a non-empty answer is an error.
	Field func(f reflect.StructField) string
	// Column, when set, checks one column further: a non-empty answer is
	// an error.
	Column func(table, column, dataType string) string
}

// Check runs CheckTypes over types and CheckColumns over schema on a
// fresh migrated database (at least minColumns columns), as parallel
// subtests "fields" and "columns": a projection's whole boundary test.
func (b Boundary) Check(t *testing.T, types []reflect.Type, schema string, minColumns int) {
	t.Helper()
	t.Parallel()
	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		b.CheckTypes(t, types)
	})
	t.Run("columns", func(t *testing.T) {
		t.Parallel()
		b.CheckColumns(t, MigratedPool(t), schema, minColumns)
	})
}

// CheckTypes walks types (every exported type of the package in the
// current directory, which it checks is the whole list), and reports each
// type and field, at any depth within the package, named like b.Forbidden.
func (b Boundary) CheckTypes(t *testing.T, types []reflect.Type) {
	t.Helper()
	if len(types) == 0 {
		t.Fatal("no types to check")
	}
	pkg := types[0].PkgPath()
	seen := map[reflect.Type]bool{}
	var walk func(path string, ty reflect.Type)
	walk = func(path string, ty reflect.Type) {
		if seen[ty] || ty.PkgPath() != "" && ty.PkgPath() != pkg {
			return // other packages' types (time.Time, pgxpool.Pool, ...) are not ours
		}
		seen[ty] = true
		if b.Forbidden.MatchString(baseName(ty)) {
			t.Errorf("type %s is named like %s", path, b.What)
		}
		switch ty.Kind() {
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if b.Forbidden.MatchString(f.Name) {
					t.Errorf("field %s.%s could hold %s", path, f.Name, b.What)
				}
				if b.Field != nil {
					if msg := b.Field(f); msg != "" {
						t.Errorf("field %s.%s %s", path, f.Name, msg)
					}
				}
				walk(path+"."+f.Name, f.Type)
			}
		case reflect.Array, reflect.Slice, reflect.Pointer, reflect.Map:
			walk(path, ty.Elem())
		}
	}
	for _, ty := range types {
		walk(baseName(ty), ty)
	}

	// The list must name every exported type in the package.
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
	for _, ty := range types {
		listed = append(listed, baseName(ty))
	}
	sort.Strings(declared)
	sort.Strings(listed)
	if !reflect.DeepEqual(declared, listed) {
		t.Fatalf("exported types %v, test lists %v", declared, listed)
	}
}

// baseName is ty's name without its type arguments: MemoryScratch for
// MemoryScratch[Snapshot].
func baseName(ty reflect.Type) string {
	name, _, _ := strings.Cut(ty.Name(), "[")
	return name
}

// CheckColumns reports each table and column of schema (empty: the
// current schema) named like b.Forbidden, and fails when fewer than
// atLeast columns are seen (the schema is not migrated).
func (b Boundary) CheckColumns(t *testing.T, pool *pgxpool.Pool, schema string, atLeast int) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = COALESCE(NULLIF($1, ''), current_schema())`, schema)
	if err != nil {
		t.Fatal(err)
	}
	prefix := ""
	if schema != "" {
		prefix = schema + "."
	}
	var table, column, typ string
	n := 0
	if _, err := pgx.ForEachRow(rows, []any{&table, &column, &typ}, func() error {
		n++
		if b.Forbidden.MatchString(table) || b.Forbidden.MatchString(column) {
			t.Errorf("column %s%s.%s could hold %s", prefix, table, column, b.What)
		}
		if b.Column != nil {
			if msg := b.Column(table, column, typ); msg != "" {
				t.Errorf("column %s%s.%s %s", prefix, table, column, msg)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n < atLeast {
		t.Fatalf("only %d columns seen: is the schema migrated?", n)
	}
}
