package catalog

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a position in a catalog file (1-based line and column).
type Pos struct {
	Line int
	Col  int
}

// ValidationError is one problem found in a catalog file.
type ValidationError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e ValidationError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ValidationErrors lists every problem found in a catalog file, sorted by position.
type ValidationErrors []ValidationError

func (es ValidationErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// str is a scalar string with the position of its value.
type str struct {
	V   string
	Pos Pos
}

// integer is a scalar integer with the position of its value.
type integer struct {
	V   int64
	Pos Pos
}

var (
	posType = reflect.TypeOf(Pos{})
	strType = reflect.TypeOf(str{})
	intType = reflect.TypeOf(integer{})
)

// maxDepth bounds the nesting the decoder follows, so that hostile input cannot exhaust the stack.
const maxDepth = 64

// decoder fills the raw structures below from a yaml.Node tree, reporting every unknown field
// and type mismatch with its position instead of stopping at the first.
type decoder struct {
	file string
	errs ValidationErrors
}

func (d *decoder) errorf(p Pos, format string, args ...any) {
	if p.Line < 1 || p.Col < 1 {
		p = Pos{Line: 1, Col: 1}
	}
	d.errs = append(d.errs, ValidationError{File: d.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// decode fills v (addressable) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, depth int) {
	if depth > maxDepth {
		d.errorf(nodePos(n), "nesting too deep")
		return
	}
	if n.Kind == yaml.AliasNode {
		d.errorf(nodePos(n), "aliases are not supported in catalogs")
		return
	}
	t := v.Type()
	switch {
	case t == strType:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.errorf(nodePos(n), "expected a string, found %s", kindName(n))
			return
		}
		v.Set(reflect.ValueOf(str{V: n.Value, Pos: nodePos(n)}))
	case t == intType:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.errorf(nodePos(n), "expected an integer, found %q", n.Value)
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			d.errorf(nodePos(n), "expected an integer, found %q", n.Value)
			return
		}
		v.Set(reflect.ValueOf(integer{V: i, Pos: nodePos(n)}))
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.errorf(nodePos(n), "expected true or false, found %s", kindName(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.errorf(nodePos(n), "expected true or false, found %q", n.Value)
			return
		}
		v.SetBool(b)
	case t.Kind() == reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.errorf(nodePos(n), "expected a list, found %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), depth+1)
		}
		v.Set(s)
	case t.Kind() == reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		p := reflect.New(t.Elem())
		d.decode(n, p.Elem(), depth+1)
		v.Set(p)
	case t.Kind() == reflect.Struct:
		d.decodeStruct(n, v, depth)
	default:
		panic("catalog: unsupported field type " + t.String())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, depth int) {
	t := v.Type()
	if n.Kind != yaml.MappingNode {
		d.errorf(nodePos(n), "expected a mapping, found %s", kindName(n))
		return
	}
	fields := map[string][]int{}
	var names []string
	var collect func(t reflect.Type, index []int)
	collect = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			path := append(slices.Clone(index), i)
			name := f.Tag.Get("yaml")
			switch {
			case f.Type == posType:
				v.FieldByIndex(path).Set(reflect.ValueOf(nodePos(n)))
			case f.Anonymous && name == ",inline":
				collect(f.Type, path)
			case name != "" && name != "-":
				fields[name] = path
				names = append(names, name)
			}
		}
	}
	collect(t, nil)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(nodePos(k), "expected a field name, found %s", kindName(k))
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			sort.Strings(names)
			d.errorf(nodePos(k), "unknown field %q (known: %s)", k.Value, strings.Join(names, ", "))
			continue
		}
		if seen[k.Value] {
			d.errorf(nodePos(k), "field %q given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		d.decode(val, v.FieldByIndex(idx), depth+1)
	}
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// parseError turns a yaml.v3 syntax error into a ValidationError.
func parseError(file string, err error) ValidationError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if l, e := strconv.Atoi(m[1]); e == nil && l > 0 {
			line = l
		}
		msg = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(msg, m[0]), ":"))
	}
	return ValidationError{File: file, Line: line, Col: 1, Msg: "YAML syntax: " + msg}
}
