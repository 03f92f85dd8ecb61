/* Native expression nodes for equations.expr (issue #16): the node type, its intern table, and the
 * three cold paths that create or print nodes (rebuild after a rewrite, prefix print, prefix parse).
 *
 * Why native: in pure Python every new node costs an object with a weak reference into a dictionary
 * keyed by a fresh tuple, and a callback when it dies; that was two thirds of a rewrite. Here the intern
 * table is an open-addressing array of borrowed pointers, keyed by (operator, children's addresses) or
 * (operator, value, domain) for leaves, and a node removes itself in its own deallocator, so no weak
 * reference, key tuple or callback exists. Nodes are not tracked by the cycle collector: a node refers
 * only to strings, integers, its children and caches of numbers, so it can never be part of a cycle.
 *
 * Soundness: interning is what makes equality an identity test everywhere above. Two nodes are the same
 * entry exactly when their operators are equal strings and their children are the same objects (leaves:
 * equal values and domains); a node leaves the table before anything else happens in its deallocator, so
 * a lookup never returns a dying node. equations.expr keeps the pure-Python implementation
 * (EQUATIONS_PURE_PYTHON=1 selects it) and the tests run the suite on both.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    PyObject *op;     /* str */
    PyObject *args;   /* tuple of nodes */
    PyObject *value;  /* int literal's int, variable's name, else NULL (reads as None) */
    PyObject *vtype;  /* variable's domain, else NULL */
    PyObject *infix;  /* caches, NULL or None when absent */
    PyObject *prefix;
    PyObject *vars;
    PyObject *memo;
    PyObject *size_o, *depth_o, *const_o; /* the three numbers as Python objects, for attribute reads */
    PyObject *weakreflist;
    Py_ssize_t size;
    Py_ssize_t depth;
    Py_hash_t khash;  /* hash of the intern key */
    char is_const;
} Node;

static PyTypeObject *NodeType = NULL;
static PyObject *str_int = NULL, *str_var = NULL, *str_int_plus = NULL, *str_int_minus = NULL, *str_neg = NULL;
static PyObject *str_space = NULL;

#define IS_NODE(o) (Py_TYPE(o) == NodeType)
#define NARGS(n) PyTuple_GET_SIZE((n)->args)
#define ARG(n, i) ((Node *)PyTuple_GET_ITEM((n)->args, (i)))
#define CACHED(p) ((p) != NULL && (p) != Py_None)

/* ---- intern table: linear probing over borrowed pointers, backward-shift deletion ------------------ */

static Node **tab = NULL;
static size_t tab_mask = 0;  /* capacity - 1, capacity a power of two */
static size_t tab_used = 0;

static inline Py_uhash_t mix(Py_uhash_t h, Py_uhash_t x) {
    h ^= x + (Py_uhash_t)0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static inline Py_hash_t finish(Py_uhash_t h) {
    h *= (Py_uhash_t)0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (Py_hash_t)h;
}

static inline int str_eq(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    if (n != PyUnicode_GET_LENGTH(b) || PyUnicode_KIND(a) != PyUnicode_KIND(b)) return 0;
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * PyUnicode_KIND(a)) == 0;
}

static int table_grow(void) {
    size_t cap = tab ? (tab_mask + 1) * 2 : 1024;
    Node **t = (Node **)PyMem_Calloc(cap, sizeof(Node *));
    if (t == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (tab) {
        for (size_t i = 0; i <= tab_mask; i++) {
            Node *e = tab[i];
            if (e) {
                size_t j = (size_t)e->khash & (cap - 1);
                while (t[j]) j = (j + 1) & (cap - 1);
                t[j] = e;
            }
        }
        PyMem_Free(tab);
    }
    tab = t;
    tab_mask = cap - 1;
    return 0;
}

/* slot index of a free place for hash h (the caller checked the key is absent) */
static inline int table_insert(Node *n) {
    if ((tab_used + 1) * 2 > tab_mask + 1 || tab == NULL) {
        if (table_grow() < 0) return -1;
    }
    size_t i = (size_t)n->khash & tab_mask;
    while (tab[i]) i = (i + 1) & tab_mask;
    tab[i] = n;
    tab_used++;
    return 0;
}

static void table_remove(Node *n) {
    if (tab == NULL) return;
    size_t i = (size_t)n->khash & tab_mask;
    while (tab[i] != n) {
        if (tab[i] == NULL) return; /* not interned (never happens) */
        i = (i + 1) & tab_mask;
    }
    size_t j = i;
    for (;;) {
        j = (j + 1) & tab_mask;
        Node *e = tab[j];
        if (e == NULL) break;
        size_t k = (size_t)e->khash & tab_mask;
        /* e stays at j when its home k lies cyclically in (i, j] */
        int stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            tab[i] = e;
            i = j;
        }
    }
    tab[i] = NULL;
    tab_used--;
}

/* ---- the node type ------------------------------------------------------------------------------------ */

static void node_dealloc(Node *n) {
    PyTypeObject *tp = Py_TYPE(n);
    table_remove(n); /* first: no lookup may find a dying node, even from a weak reference's callback */
    if (n->weakreflist != NULL) PyObject_ClearWeakRefs((PyObject *)n);
    Py_XDECREF(n->op);
    Py_XDECREF(n->value);
    Py_XDECREF(n->vtype);
    Py_XDECREF(n->infix);
    Py_XDECREF(n->prefix);
    Py_XDECREF(n->vars);
    Py_XDECREF(n->memo);
    Py_XDECREF(n->size_o);
    Py_XDECREF(n->depth_o);
    Py_XDECREF(n->const_o);
    PyObject *args = n->args;
    tp->tp_free((PyObject *)n);
    /* Children die after their parent is gone; tuples' deallocators use the interpreter's trashcan, which
       bounds the C recursion of a deep tree's death. */
    Py_XDECREF(args);
    Py_DECREF(tp);
}

/* Every member is an object that is never NULL (None when absent), read as T_OBJECT_EX: CPython 3.11's
   specialising interpreter turns attribute reads of such members into one load (LOAD_ATTR_SLOT), as for a
   Python class with __slots__; other member kinds (T_OBJECT, numbers) take the slow generic path. */
static PyMemberDef node_members[] = {
    {"op", T_OBJECT_EX, offsetof(Node, op), READONLY, NULL},
    {"args", T_OBJECT_EX, offsetof(Node, args), READONLY, NULL},
    {"value", T_OBJECT_EX, offsetof(Node, value), READONLY, NULL},
    {"vtype", T_OBJECT_EX, offsetof(Node, vtype), READONLY, NULL},
    {"size", T_OBJECT_EX, offsetof(Node, size_o), READONLY, NULL},
    {"depth", T_OBJECT_EX, offsetof(Node, depth_o), READONLY, NULL},
    {"const", T_OBJECT_EX, offsetof(Node, const_o), READONLY, NULL},
    {"_infix", T_OBJECT_EX, offsetof(Node, infix), 0, NULL},
    {"_prefix", T_OBJECT_EX, offsetof(Node, prefix), 0, NULL},
    {"_vars", T_OBJECT_EX, offsetof(Node, vars), 0, NULL},
    {"_memo", T_OBJECT_EX, offsetof(Node, memo), 0, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(Node, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot node_slots[] = {
    {Py_tp_dealloc, (void *)node_dealloc},
    {Py_tp_members, node_members},
    {Py_tp_doc, "A node of an expression tree (native)."},
    {0, NULL},
};

static PyType_Spec node_spec = {
    "equations.expr.Expr",
    sizeof(Node),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    node_slots,
};

/* ---- interning ----------------------------------------------------------------------------------------- */

/* The interned node op(a[0], ..., a[n-1]), n >= 1, every a[i] a node. New reference. */
static PyObject *intern_node(PyObject *op, PyObject *const *a, Py_ssize_t n) {
    /* str's own hash, which str_eq agrees with, even for a str subclass that overrides __hash__ */
    Py_hash_t oh = PyUnicode_Type.tp_hash(op);
    if (oh == -1) return NULL;
    Py_uhash_t h = (Py_uhash_t)oh;
    for (Py_ssize_t k = 0; k < n; k++) h = mix(h, (Py_uhash_t)((uintptr_t)a[k] >> 4));
    Py_hash_t kh = finish(h);
    if (tab) {
        size_t i = (size_t)kh & tab_mask;
        Node *e;
        while ((e = tab[i]) != NULL) {
            if (e->khash == kh && NARGS(e) == n && str_eq(e->op, op)) {
                Py_ssize_t k = 0;
                while (k < n && PyTuple_GET_ITEM(e->args, k) == a[k]) k++;
                if (k == n) {
                    Py_INCREF(e);
                    return (PyObject *)e;
                }
            }
            i = (i + 1) & tab_mask;
        }
    }
    PyObject *args = PyTuple_New(n);
    if (args == NULL) return NULL;
    PyObject_GC_UnTrack(args); /* it holds only nodes, which are never in a cycle: the collector can skip it */
    Py_ssize_t size = 1, depth = 0;
    char is_const = 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        Node *c = (Node *)a[k];
        Py_INCREF(c);
        PyTuple_SET_ITEM(args, k, (PyObject *)c);
        size += c->size;
        if (c->depth > depth) depth = c->depth;
        is_const = is_const && c->is_const;
    }
    Node *e = PyObject_New(Node, NodeType);
    if (e == NULL) {
        Py_DECREF(args);
        return NULL;
    }
    Py_INCREF(op);
    e->op = op;
    e->args = args;
    e->weakreflist = NULL;
    e->value = e->vtype = e->infix = e->prefix = e->vars = e->memo = Py_None;
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    e->size = size;
    e->depth = depth + 1;
    e->khash = kh;
    e->is_const = is_const;
    e->size_o = PyLong_FromSsize_t(size);
    e->depth_o = PyLong_FromSsize_t(depth + 1);
    e->const_o = is_const ? Py_True : Py_False;
    Py_INCREF(e->const_o);
    if (e->size_o == NULL || e->depth_o == NULL) {
        Py_DECREF(e);
        return NULL;
    }
    if (table_insert(e) < 0) {
        e->khash = 0;
        Py_DECREF(e); /* not in the table: table_remove finds nothing */
        return NULL;
    }
    return (PyObject *)e;
}

static PyObject *intern2(PyObject *op, PyObject *x, PyObject *y) {
    PyObject *a[2] = {x, y};
    return intern_node(op, a, 2);
}

/* The interned leaf (op, value, vtype); value and vtype may be Py_None. New reference. */
static PyObject *intern_leaf(PyObject *op, PyObject *value, PyObject *vtype) {
    Py_hash_t oh = PyUnicode_Type.tp_hash(op), vh = PyObject_Hash(value), th = PyObject_Hash(vtype);
    if (oh == -1 || vh == -1 || th == -1) return NULL;
    Py_hash_t kh = finish(mix(mix(mix((Py_uhash_t)oh, 0x51ed27), (Py_uhash_t)vh), (Py_uhash_t)th));
restart:
    if (tab) {
        size_t i = (size_t)kh & tab_mask;
        Node *e;
        while ((e = tab[i]) != NULL) {
            if (e->khash == kh && NARGS(e) == 0 && str_eq(e->op, op)) {
                /* Comparing values may run Python code (a value's __eq__) that creates or frees nodes: hold
                   the candidate, and probe again if the table changed meanwhile. */
                Node **before = tab;
                size_t used = tab_used;
                Py_INCREF(e);
                int same = PyObject_RichCompareBool(e->value, value, Py_EQ);
                if (same > 0) same = PyObject_RichCompareBool(e->vtype, vtype, Py_EQ);
                if (same > 0) return (PyObject *)e;
                Py_DECREF(e);
                if (same < 0) return NULL;
                if (tab != before || tab_used != used) goto restart;
            }
            i = (i + 1) & tab_mask;
        }
    }
    Node *e = PyObject_New(Node, NodeType);
    if (e == NULL) return NULL;
    int is_var = str_eq(op, str_var), is_int = str_eq(op, str_int);
    Py_INCREF(op);
    e->op = op;
    e->args = PyTuple_New(0);
    Py_INCREF(value);
    Py_INCREF(vtype);
    e->value = value;
    e->vtype = vtype;
    e->weakreflist = NULL;
    e->infix = e->prefix = e->vars = e->memo = Py_None;
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    if (!is_int) { /* a variable's (and pi's) text is its name: the printers never descend to it */
        PyObject *text = is_var ? value : op;
        Py_INCREF(text);
        Py_INCREF(text);
        Py_SETREF(e->infix, text);
        Py_SETREF(e->prefix, text);
    }
    e->size = 1;
    e->depth = 1;
    e->khash = kh;
    e->is_const = !is_var;
    e->size_o = PyLong_FromLong(1);
    e->depth_o = PyLong_FromLong(1);
    e->const_o = is_var ? Py_False : Py_True;
    Py_INCREF(e->const_o);
    if (table_insert(e) < 0) {
        Py_DECREF(e);
        return NULL;
    }
    return (PyObject *)e;
}

static int check_op(PyObject *op) {
    if (!PyUnicode_Check(op)) {
        PyErr_Format(PyExc_TypeError, "an operator is a string, not %.100s", Py_TYPE(op)->tp_name);
        return -1;
    }
    return 0;
}

static int check_node(PyObject *x) {
    if (!IS_NODE(x)) {
        PyErr_Format(PyExc_TypeError, "an operand is an expression, not %.100s", Py_TYPE(x)->tp_name);
        return -1;
    }
    return 0;
}

static PyObject *py_make(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "make() needs an operator");
        return NULL;
    }
    if (check_op(args[0]) < 0) return NULL;
    for (Py_ssize_t k = 1; k < nargs; k++)
        if (check_node(args[k]) < 0) return NULL;
    if (nargs == 1) return intern_leaf(args[0], Py_None, Py_None);
    return intern_node(args[0], args + 1, nargs - 1);
}

static PyObject *py_make1(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "make1() takes an operator and one operand");
        return NULL;
    }
    if (check_op(args[0]) < 0 || check_node(args[1]) < 0) return NULL;
    return intern_node(args[0], args + 1, 1);
}

static PyObject *py_make2(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "make2() takes an operator and two operands");
        return NULL;
    }
    if (check_op(args[0]) < 0 || check_node(args[1]) < 0 || check_node(args[2]) < 0) return NULL;
    return intern_node(args[0], args + 1, 2);
}

static PyObject *py_leaf(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "leaf() takes an operator, a value and a domain");
        return NULL;
    }
    if (check_op(args[0]) < 0) return NULL;
    return intern_leaf(args[0], args[1], args[2]);
}

static PyObject *py_table_size(PyObject *self, PyObject *unused) { return PyLong_FromSize_t(tab_used); }

static PyObject *py_live_nodes(PyObject *self, PyObject *unused) {
    PyObject *out = PyList_New(0);
    if (out == NULL || tab == NULL) return out;
    for (size_t i = 0; i <= tab_mask; i++) {
        if (tab[i] && PyList_Append(out, (PyObject *)tab[i]) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

/* ---- rebuild: e with the subtree at prefix position pos (> 0) replaced -------------------------------- */

static PyObject *replace_rec(Node *e, Py_ssize_t pos, PyObject *new) {
    Py_ssize_t n = NARGS(e);
    pos -= 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        Node *c = ARG(e, k);
        if (pos < c->size) {
            PyObject *sub;
            if (pos) {
                sub = replace_rec(c, pos, new);
                if (sub == NULL) return NULL;
            } else {
                Py_INCREF(new);
                sub = new;
            }
            PyObject *r;
            if (n == 1) {
                r = intern_node(e->op, &sub, 1);
            } else if (n == 2) {
                r = k == 0 ? intern2(e->op, sub, PyTuple_GET_ITEM(e->args, 1))
                           : intern2(e->op, PyTuple_GET_ITEM(e->args, 0), sub);
            } else {
                PyObject *items[16];
                if (n > 16) {
                    Py_DECREF(sub);
                    PyErr_SetString(PyExc_ValueError, "nodes with more than 16 operands are not supported");
                    return NULL;
                }
                for (Py_ssize_t j = 0; j < n; j++) items[j] = j == k ? sub : PyTuple_GET_ITEM(e->args, j);
                r = intern_node(e->op, items, n);
            }
            Py_DECREF(sub);
            return r;
        }
        pos -= c->size;
    }
    PyErr_SetString(PyExc_IndexError, "position out of range");
    return NULL;
}

static PyObject *py_replace(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !IS_NODE(args[0]) || !PyLong_Check(args[1]) || !IS_NODE(args[2])) {
        PyErr_SetString(PyExc_TypeError, "replace(expr, position, new)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) return NULL;
    Node *e = (Node *)args[0];
    if (pos <= 0 || pos >= e->size) {
        if (pos == 0) {
            Py_INCREF(args[2]);
            return args[2];
        }
        PyErr_SetString(PyExc_IndexError, "position out of range");
        return NULL;
    }
    return replace_rec(e, pos, args[2]);
}

/* ---- prefix printing ------------------------------------------------------------------------------------ */

/* the concatenation of n strings (new reference) */
static PyObject *concat(PyObject *const *parts, int n) {
    Py_ssize_t len = 0;
    Py_UCS4 maxchar = 127;
    for (int k = 0; k < n; k++) {
        Py_UCS4 mc = PyUnicode_MAX_CHAR_VALUE(parts[k]);
        if (mc > maxchar) maxchar = mc;
        len += PyUnicode_GET_LENGTH(parts[k]);
    }
    PyObject *s = PyUnicode_New(len, maxchar);
    if (s == NULL) return NULL;
    Py_ssize_t at = 0;
    for (int k = 0; k < n; k++) {
        Py_ssize_t pl = PyUnicode_GET_LENGTH(parts[k]);
        if (maxchar == 127) {
            memcpy((char *)PyUnicode_DATA(s) + at, PyUnicode_DATA(parts[k]), (size_t)pl);
        } else if (PyUnicode_CopyCharacters(s, at, parts[k], 0, pl) < 0) {
            Py_DECREF(s);
            return NULL;
        }
        at += pl;
    }
    return s;
}

/* keep text s (new reference, or NULL on error) in a node's slot and return it */
static PyObject *store_text(PyObject **slot, PyObject *s) {
    if (s == NULL) return NULL;
    Py_INCREF(s);
    Py_XSETREF(*slot, s);
    return s;
}

static PyObject *int_prefix(PyObject *value) {
    PyObject *digits = PyObject_Str(value);
    if (digits == NULL) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(digits);
    if (!PyUnicode_IS_ASCII(digits) || n == 0) {
        Py_DECREF(digits);
        PyErr_SetString(PyExc_ValueError, "an integer literal prints as ASCII digits");
        return NULL;
    }
    PyObject *s = PyUnicode_New(5 + 2 * n - 1, 127);
    if (s == NULL) {
        Py_DECREF(digits);
        return NULL;
    }
    char *out = (char *)PyUnicode_DATA(s);
    const char *in = (const char *)PyUnicode_DATA(digits);
    memcpy(out, "INT+ ", 5);
    for (Py_ssize_t k = 0; k < n; k++) {
        out[5 + 2 * k] = in[k];
        if (k + 1 < n) out[6 + 2 * k] = ' ';
    }
    Py_DECREF(digits);
    return s;
}

/* The prefix text of e (new reference), stored on every node it computes. */
/* the printers handle leaves, unary and binary nodes (every operator of the engine) */
static int printable(Node *e) {
    if (NARGS(e) <= 2) return 0;
    PyErr_SetString(PyExc_ValueError, "printing supports nodes of at most two operands");
    return -1;
}

static PyObject *prefix_of(Node *e) {
    if (CACHED(e->prefix)) {
        Py_INCREF(e->prefix);
        return e->prefix;
    }
    if (printable(e) < 0) return NULL;
    Py_ssize_t n = NARGS(e);
    PyObject *s;
    if (n == 0) {
        if (str_eq(e->op, str_int)) {
            s = int_prefix(e->value ? e->value : Py_None);
        } else {
            s = str_eq(e->op, str_var) && e->value ? e->value : e->op;
            Py_INCREF(s);
        }
    } else {
        PyObject *pa = prefix_of(ARG(e, 0)), *pb = NULL;
        if (pa == NULL) return NULL;
        if (n == 2 && (pb = prefix_of(ARG(e, 1))) == NULL) {
            Py_DECREF(pa);
            return NULL;
        }
        PyObject *parts[5] = {e->op, str_space, pa, str_space, pb};
        s = concat(parts, pb ? 5 : 3);
        Py_DECREF(pa);
        Py_XDECREF(pb);
    }
    return store_text(&e->prefix, s);
}

static PyObject *py_prefix(PyObject *self, PyObject *e) {
    if (check_node(e) < 0) return NULL;
    return prefix_of((Node *)e);
}

/* ---- infix printing (equations.printing's rules, in C) ------------------------------------------------- */

/* operator codes: binary symbols, neg, comparisons, dvd; anything else with one operand is a function */
enum { OP_OTHER = 0, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_NEG, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT,
       OP_GE, OP_DVD, OP_COUNT };
static const char *op_names[OP_COUNT] = {"", "add", "sub", "mul", "div", "mod", "pow", "neg", "eq", "ne", "lt",
                                         "le", "gt", "ge", "dvd"};
static const char *op_symbols[OP_COUNT] = {"", " + ", " - ", "*", "/", " % ", "**", "-", " == ", " != ", " < ",
                                           " <= ", " > ", " >= ", ""};
/* precedence (higher binds tighter; 5: atom) and the minimum a left/right operand needs without parentheses */
static const int op_prec[OP_COUNT] = {5, 1, 1, 2, 2, 2, 4, 3, 5, 5, 5, 5, 5, 5, 5};
static const int op_lmin[OP_COUNT] = {0, 1, 1, 2, 2, 2, 5, 4, 0, 0, 0, 0, 0, 0, 0};
static const int op_rmin[OP_COUNT] = {0, 2, 2, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0};
static PyObject *op_codes = NULL; /* dict: operator name -> code */
static PyObject *sym_str[OP_COUNT];
static PyObject *str_lparen, *str_rparen, *str_comma, *str_divides;

static inline int op_code(PyObject *op) {
    PyObject *c = PyDict_GetItem(op_codes, op); /* borrowed; str keys never raise */
    return c ? (int)PyLong_AS_LONG(c) : OP_OTHER;
}

static PyObject *infix_of(Node *e);

/* the operand's text, in parentheses when its precedence is below need (new reference) */
static PyObject *operand(Node *a, int need) {
    PyObject *s = infix_of(a);
    if (s == NULL || op_prec[op_code(a->op)] >= need) return s;
    PyObject *parts[3] = {str_lparen, s, str_rparen};
    PyObject *w = concat(parts, 3);
    Py_DECREF(s);
    return w;
}

/* The infix text of e (new reference), stored on every node it computes. */
static PyObject *infix_of(Node *e) {
    if (CACHED(e->infix)) {
        Py_INCREF(e->infix);
        return e->infix;
    }
    if (printable(e) < 0) return NULL;
    Py_ssize_t n = NARGS(e);
    PyObject *s = NULL;
    if (n == 0) {
        if (str_eq(e->op, str_int)) {
            s = PyObject_Str(e->value ? e->value : Py_None);
        } else {
            s = str_eq(e->op, str_var) && e->value ? e->value : e->op;
            Py_INCREF(s);
        }
    } else {
        int code = op_code(e->op);
        if (n == 2 && code >= OP_ADD && code <= OP_POW) {
            PyObject *sa = operand(ARG(e, 0), op_lmin[code]), *sb = NULL;
            if (sa && (sb = operand(ARG(e, 1), op_rmin[code]))) {
                PyObject *parts[3] = {sa, sym_str[code], sb};
                s = concat(parts, 3);
            }
            Py_XDECREF(sa);
            Py_XDECREF(sb);
        } else if (n == 1 && code == OP_NEG) {
            PyObject *sa = operand(ARG(e, 0), 4);
            if (sa) {
                PyObject *parts[2] = {sym_str[OP_NEG], sa};
                s = concat(parts, 2);
                Py_DECREF(sa);
            }
        } else if (n == 2 && code >= OP_EQ && code <= OP_DVD) {
            PyObject *sa = infix_of(ARG(e, 0)), *sb = NULL;
            if (sa && (sb = infix_of(ARG(e, 1)))) {
                if (code == OP_DVD) {
                    PyObject *parts[5] = {str_divides, sa, str_comma, sb, str_rparen};
                    s = concat(parts, 5);
                } else {
                    PyObject *parts[3] = {sa, sym_str[code], sb};
                    s = concat(parts, 3);
                }
            }
            Py_XDECREF(sa);
            Py_XDECREF(sb);
        } else if (n == 1) { /* unary functions */
            PyObject *sa = infix_of(ARG(e, 0));
            if (sa) {
                PyObject *parts[4] = {e->op, str_lparen, sa, str_rparen};
                s = concat(parts, 4);
                Py_DECREF(sa);
            }
        } else if (n == 2) { /* binary functions */
            PyObject *sa = infix_of(ARG(e, 0)), *sb = NULL;
            if (sa && (sb = infix_of(ARG(e, 1)))) {
                PyObject *parts[6] = {e->op, str_lparen, sa, str_comma, sb, str_rparen};
                s = concat(parts, 6);
            }
            Py_XDECREF(sa);
            Py_XDECREF(sb);
        }
    }
    return store_text(&e->infix, s);
}

static PyObject *py_infix(PyObject *self, PyObject *e) {
    if (check_node(e) < 0) return NULL;
    return infix_of((Node *)e);
}

static int init_infix(void) {
    op_codes = PyDict_New();
    if (op_codes == NULL) return -1;
    for (int k = 1; k < OP_COUNT; k++) {
        PyObject *c = PyLong_FromLong(k);
        if (c == NULL || PyDict_SetItemString(op_codes, op_names[k], c) < 0) return -1;
        Py_DECREF(c);
        sym_str[k] = PyUnicode_InternFromString(op_symbols[k]);
        if (sym_str[k] == NULL) return -1;
    }
    str_lparen = PyUnicode_InternFromString("(");
    str_rparen = PyUnicode_InternFromString(")");
    str_comma = PyUnicode_InternFromString(", ");
    str_divides = PyUnicode_InternFromString("divides(");
    return (str_lparen && str_rparen && str_comma && str_divides) ? 0 : -1;
}

/* ---- prefix parsing (the common case; anything else returns None and the Python parser decides) ----- */

static PyObject *py_parse_prefix(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* parse_prefix(tokens: list[str], arity: dict[str, int], leaves: dict[str, Expr], pi, allow_neg, max_depth) */
    if (nargs != 6 || !PyList_Check(args[0]) || !PyDict_Check(args[1]) || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "parse_prefix(tokens, arity, leaves, pi, allow_neg, max_depth)");
        return NULL;
    }
    PyObject *toks = args[0], *arity = args[1], *leaves = args[2], *pi = args[3];
    int allow_neg = PyObject_IsTrue(args[4]);
    Py_ssize_t max_depth = PyLong_AsSsize_t(args[5]);
    if (max_depth == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t ntok = PyList_GET_SIZE(toks);
    PyObject *small[64];
    PyObject **stack = ntok <= 64 ? small : (PyObject **)PyMem_Malloc(sizeof(PyObject *) * (size_t)ntok);
    if (stack == NULL) return PyErr_NoMemory();
    Py_ssize_t sp = 0, ndig = 0;
    PyObject *result = NULL;
    int fallback = 0;
    for (Py_ssize_t k = ntok - 1; k >= 0 && !fallback; k--) {
        PyObject *tok = PyList_GET_ITEM(toks, k);
        if (!PyUnicode_CheckExact(tok)) {
            fallback = 1;
            break;
        }
        PyObject *a = PyDict_GetItemWithError(arity, tok);
        if (a == NULL && PyErr_Occurred()) goto error;
        if (a == NULL) {
            Py_ssize_t tl = PyUnicode_GET_LENGTH(tok);
            if (tl == 1 && PyUnicode_READ_CHAR(tok, 0) >= '0' && PyUnicode_READ_CHAR(tok, 0) <= '9') {
                ndig++;
                continue;
            }
            if (ndig) {
                if (!(str_eq(tok, str_int_plus) || (allow_neg && str_eq(tok, str_int_minus))) || ndig > 4000) {
                    fallback = 1;
                    break;
                }
                char buf[4001];
                for (Py_ssize_t d = 0; d < ndig; d++)
                    buf[d] = (char)PyUnicode_READ_CHAR(PyList_GET_ITEM(toks, k + 1 + d), 0);
                buf[ndig] = 0;
                ndig = 0;
                PyObject *v = PyLong_FromString(buf, NULL, 10);
                if (v == NULL) goto error;
                PyObject *lit = intern_leaf(str_int, v, Py_None);
                int nonzero = PyObject_IsTrue(v);
                Py_DECREF(v);
                if (lit == NULL) goto error;
                if (str_eq(tok, str_int_minus) && nonzero) { /* -0 is 0, as num(-0) */
                    PyObject *neg = intern_node(str_neg, &lit, 1);
                    Py_DECREF(lit);
                    if (neg == NULL) goto error;
                    lit = neg;
                }
                stack[sp++] = lit;
                continue;
            }
            PyObject *leaf = PyDict_GetItemWithError(leaves, tok);
            if (leaf == NULL) {
                if (PyErr_Occurred()) goto error;
                fallback = 1; /* a new variable or an error: the Python parser handles it */
                break;
            }
            if (!IS_NODE(leaf)) {
                fallback = 1;
                break;
            }
            Py_INCREF(leaf);
            stack[sp++] = leaf;
            continue;
        }
        long ar = PyLong_AsLong(a);
        if (ar == -1 && PyErr_Occurred()) goto error;
        if (ndig || ar > sp || ar < 0 || ar > 2) {
            fallback = 1;
            break;
        }
        PyObject *e;
        if (ar == 0) {
            if (!IS_NODE(pi)) {
                fallback = 1;
                break;
            }
            Py_INCREF(pi);
            e = pi;
        } else if (ar == 1) {
            e = intern_node(tok, &stack[sp - 1], 1);
            if (e == NULL) goto error;
            Py_DECREF(stack[--sp]);
        } else {
            PyObject *pair[2] = {stack[sp - 1], stack[sp - 2]};
            e = intern_node(tok, pair, 2);
            if (e == NULL) goto error;
            Py_DECREF(stack[--sp]);
            Py_DECREF(stack[--sp]);
        }
        stack[sp++] = e;
    }
    if (!fallback && !ndig && sp == 1 && ((Node *)stack[0])->depth <= max_depth) {
        result = stack[0];
        sp = 0;
    } else {
        result = Py_None;
        Py_INCREF(result);
    }
error:
    while (sp > 0) Py_DECREF(stack[--sp]);
    if (stack != small) PyMem_Free(stack);
    return result;
}

/* ---- the match index's and the environment's per-node memos (equations.matching, equations.envs.actions) ---
 * The same computations as MatchIndex.node and ActionIndex._count, on the nodes not indexed yet; the rule
 * tests and the per-signature tables stay Python objects (a table is built by a Python callback on first
 * use). ctx = (token, term tables, root tables, comparison operators, build term table, build root table). */

/* the keys matching at e: the signature's implied keys, and those whose test e passes (new reference) */
static PyObject *own_keys(Node *e, PyObject *ctx) {
    PyObject *sigs = PyTuple_GET_ITEM(ctx, 1), *roots = PyTuple_GET_ITEM(ctx, 2), *cmp = PyTuple_GET_ITEM(ctx, 3);
    Py_ssize_t n = NARGS(e);
    PyObject *key = PyTuple_New(n + 1);
    if (key == NULL) return NULL;
    Py_INCREF(e->op);
    PyTuple_SET_ITEM(key, 0, e->op);
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *cop = ARG(e, k)->op;
        Py_INCREF(cop);
        PyTuple_SET_ITEM(key, k + 1, cop);
    }
    int is_cmp = PySet_Contains(cmp, e->op);
    if (is_cmp < 0) {
        Py_DECREF(key);
        return NULL;
    }
    PyObject *tab = PyDict_GetItemWithError(is_cmp ? roots : sigs, key);
    if (tab != NULL) {
        Py_INCREF(tab); /* held while the tests (Python code) run */
    } else {
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            return NULL;
        }
        tab = PyObject_CallOneArg(PyTuple_GET_ITEM(ctx, is_cmp ? 5 : 4), key);
        if (tab == NULL) {
            Py_DECREF(key);
            return NULL;
        }
    }
    PyObject *owned_tab = tab;
    Py_DECREF(key);
    PyObject *own = PyTuple_GET_ITEM(tab, 0);
    Py_INCREF(own);
    PyObject *tests = PyTuple_GET_ITEM(tab, 1);
    Py_ssize_t nt = PyTuple_GET_SIZE(tests);
    for (Py_ssize_t k = 0; k < nt; k++) {
        PyObject *pair = PyTuple_GET_ITEM(tests, k);
        PyObject *r = PyObject_CallOneArg(PyTuple_GET_ITEM(pair, 1), (PyObject *)e);
        if (r == NULL) goto fail;
        int hit = PyObject_IsTrue(r);
        Py_DECREF(r);
        if (hit < 0) goto fail;
        if (hit) {
            PyObject *o = PyNumber_Or(own, PyTuple_GET_ITEM(pair, 0));
            if (o == NULL) goto fail;
            Py_SETREF(own, o);
        }
    }
    Py_XDECREF(owned_tab);
    return own;
fail:
    Py_XDECREF(owned_tab);
    Py_DECREF(own);
    return NULL;
}

static int set_memo(Node *e, PyObject *memo) {
    /* a memo holds numbers and owner tokens (plain objects): never in a cycle, so the collector skips it */
    if (PyObject_GC_IsTracked(memo)) PyObject_GC_UnTrack(memo);
    PyObject *old = e->memo;
    e->memo = memo; /* steals */
    Py_XDECREF(old);
    return 0;
}

/* MatchIndex.node: the memo (token, own, own | children's subtree keys) of e (new reference) */
static PyObject *match_memo(Node *e, PyObject *ctx) {
    PyObject *tok = PyTuple_GET_ITEM(ctx, 0);
    PyObject *m = e->memo;
    if (m != NULL && PyTuple_Check(m) && PyTuple_GET_SIZE(m) >= 3 && PyTuple_GET_ITEM(m, 0) == tok) {
        Py_INCREF(m);
        return m;
    }
    PyObject *sub = PyLong_FromLong(0);
    if (sub == NULL) return NULL;
    for (Py_ssize_t k = 0; k < NARGS(e); k++) {
        PyObject *mc = match_memo(ARG(e, k), ctx);
        if (mc == NULL) goto fail;
        PyObject *o = PyNumber_Or(sub, PyTuple_GET_ITEM(mc, 2));
        Py_DECREF(mc);
        if (o == NULL) goto fail;
        Py_SETREF(sub, o);
    }
    PyObject *own = own_keys(e, ctx);
    if (own == NULL) goto fail;
    PyObject *all = PyNumber_Or(own, sub);
    Py_DECREF(sub);
    if (all == NULL) {
        Py_DECREF(own);
        return NULL;
    }
    Py_INCREF(tok);
    PyObject *memo = PyTuple_Pack(3, tok, own, all);
    Py_DECREF(tok);
    Py_DECREF(own);
    Py_DECREF(all);
    if (memo == NULL) return NULL;
    Py_INCREF(memo);
    set_memo(e, memo);
    return memo;
fail:
    Py_DECREF(sub);
    return NULL;
}

static PyObject *py_match_memo(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !IS_NODE(args[0]) || !PyTuple_Check(args[1]) || PyTuple_GET_SIZE(args[1]) != 6) {
        PyErr_SetString(PyExc_TypeError, "match_memo(expr, ctx)");
        return NULL;
    }
    return match_memo((Node *)args[0], args[1]);
}

/* ActionIndex._count: actx = (ctx..., action token, weights by own mask, split mask, own weight callback,
 * block of terms). The memo (match token, own, subtree keys, action token, actions below, actions here). */
static PyObject *count_memo(Node *e, Py_ssize_t block, PyObject *actx) {
    PyObject *atok = PyTuple_GET_ITEM(actx, 6);
    PyObject *m = e->memo;
    if (m != NULL && PyTuple_Check(m) && PyTuple_GET_SIZE(m) == 6 && PyTuple_GET_ITEM(m, 3) == atok) {
        Py_INCREF(m);
        return m;
    }
    Py_ssize_t term_block = PyLong_AsSsize_t(PyTuple_GET_ITEM(actx, 10));
    if (term_block == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t below = 0;
    PyObject *sub = PyLong_FromLong(0);
    if (sub == NULL) return NULL;
    for (Py_ssize_t k = 0; k < NARGS(e); k++) {
        PyObject *mc = count_memo(ARG(e, k), term_block, actx);
        if (mc == NULL) goto fail;
        Py_ssize_t b = PyLong_AsSsize_t(PyTuple_GET_ITEM(mc, 4));
        PyObject *o = PyNumber_Or(sub, PyTuple_GET_ITEM(mc, 2));
        Py_DECREF(mc);
        if (o == NULL || (b == -1 && PyErr_Occurred())) {
            Py_XDECREF(o);
            goto fail;
        }
        below += b;
        Py_SETREF(sub, o);
    }
    PyObject *own = own_keys(e, actx);
    if (own == NULL) goto fail;
    PyObject *all = PyNumber_Or(own, sub);
    Py_SETREF(sub, all);
    if (sub == NULL) {
        Py_DECREF(own);
        return NULL;
    }
    /* the actions at e: the cached weight of its own mask, unless a split rule needs the literal */
    Py_ssize_t here = -1;
    PyObject *w = PyDict_GetItemWithError(PyTuple_GET_ITEM(actx, 7), own);
    if (w == NULL && PyErr_Occurred()) goto fail_own;
    if (w != NULL) {
        PyObject *sp = PyNumber_And(own, PyTuple_GET_ITEM(actx, 8));
        if (sp == NULL) goto fail_own;
        int split = PyObject_IsTrue(sp);
        Py_DECREF(sp);
        if (split < 0) goto fail_own;
        if (!split) {
            here = PyLong_AsSsize_t(w);
            if (here == -1 && PyErr_Occurred()) goto fail_own;
        }
    }
    if (here < 0) {
        PyObject *r = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(actx, 9), (PyObject *)e, own, NULL);
        if (r == NULL) goto fail_own;
        here = PyLong_AsSsize_t(r);
        Py_DECREF(r);
        if (here == -1 && PyErr_Occurred()) goto fail_own;
    }
    here += block;
    PyObject *tot = PyLong_FromSsize_t(here + below), *hr = PyLong_FromSsize_t(here);
    PyObject *memo = (tot && hr) ? PyTuple_Pack(6, PyTuple_GET_ITEM(actx, 0), own, sub, atok, tot, hr) : NULL;
    Py_XDECREF(tot);
    Py_XDECREF(hr);
    Py_DECREF(own);
    Py_DECREF(sub);
    if (memo == NULL) return NULL;
    Py_INCREF(memo);
    set_memo(e, memo);
    return memo;
fail_own:
    Py_DECREF(own);
fail:
    Py_XDECREF(sub);
    return NULL;
}

static PyObject *py_count_memo(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !IS_NODE(args[0]) || !PyLong_Check(args[1]) || !PyTuple_Check(args[2]) ||
        PyTuple_GET_SIZE(args[2]) != 11) {
        PyErr_SetString(PyExc_TypeError, "count_memo(expr, block, actx)");
        return NULL;
    }
    Py_ssize_t block = PyLong_AsSsize_t(args[1]);
    if (block == -1 && PyErr_Occurred()) return NULL;
    return count_memo((Node *)args[0], block, args[2]);
}

/* ActionIndex.tactic's descent: from e (whose memo is the count memo of atok) to the node holding action i.
 * Returns (node, position, i at that node, its memo), or None when a memo on the way is not atok's (the
 * Python loop then recounts). */
static PyObject *py_descend(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !IS_NODE(args[0]) || !PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "descend(expr, i, atok)");
        return NULL;
    }
    Node *e = (Node *)args[0];
    PyObject *atok = args[2];
    Py_ssize_t i = PyLong_AsSsize_t(args[1]), pos = 0;
    if (i == -1 && PyErr_Occurred()) return NULL;
#define COUNT_MEMO(m) ((m) != NULL && PyTuple_Check(m) && PyTuple_GET_SIZE(m) == 6 && PyTuple_GET_ITEM(m, 3) == atok)
    PyObject *m = e->memo;
    if (!COUNT_MEMO(m)) Py_RETURN_NONE;
    for (;;) {
        Py_ssize_t here = PyLong_AsSsize_t(PyTuple_GET_ITEM(m, 5));
        if (here == -1 && PyErr_Occurred()) return NULL;
        if (i < here) return Py_BuildValue("(OnnO)", (PyObject *)e, pos, i, m);
        i -= here;
        Py_ssize_t p = pos + 1, k, n = NARGS(e);
        for (k = 0; k < n; k++) {
            Node *a = ARG(e, k);
            PyObject *ma = a->memo;
            if (!COUNT_MEMO(ma)) Py_RETURN_NONE;
            Py_ssize_t below = PyLong_AsSsize_t(PyTuple_GET_ITEM(ma, 4));
            if (below == -1 && PyErr_Occurred()) return NULL;
            if (i < below) {
                e = a;
                pos = p;
                m = ma;
                break;
            }
            i -= below;
            p += a->size;
        }
        if (k == n) Py_RETURN_NONE; /* inconsistent counts: the Python loop raises */
    }
#undef COUNT_MEMO
}

/* ---- the environment's proof path (equations.envs.env) -------------------------------------------------
 * After a step at a leaf of the episode's proof tree, every ancestor's proof is copied with one entry of its
 * children tuple replaced (proofs are immutable nested tuples). Walking up `parent` links in C; nodes have
 * the attributes parent, proof (a `cls` tuple: (tactic, children)) and index (their place among the
 * children). Returns the root's new proof. */
static PyObject *str_parent = NULL, *str_proof = NULL, *str_index = NULL;

static PyObject *py_rebuild_path(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyType_Check(args[2]) || !PyType_IsSubtype((PyTypeObject *)args[2], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "rebuild_path(node, proof, cls)");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)args[2];
    PyObject *node = args[0], *proof = args[1];
    Py_INCREF(node);
    Py_INCREF(proof);
    for (;;) {
        PyObject *parent = PyObject_GetAttr(node, str_parent);
        if (parent == NULL) goto fail;
        if (parent == Py_None) {
            Py_DECREF(parent);
            Py_DECREF(node);
            return proof;
        }
        PyObject *sub = PyObject_GetAttr(parent, str_proof);
        if (sub == NULL) {
            Py_DECREF(parent);
            goto fail;
        }
        PyObject *kids = PyTuple_Check(sub) && PyTuple_GET_SIZE(sub) == 2 ? PyTuple_GET_ITEM(sub, 1) : NULL;
        if (kids == NULL || !PyTuple_Check(kids)) {
            Py_DECREF(sub);
            Py_DECREF(parent);
            PyErr_SetString(PyExc_TypeError, "a proof is a (tactic, children) tuple");
            goto fail;
        }
        Py_ssize_t nk = PyTuple_GET_SIZE(kids), at = 0;
        if (nk != 1) {
            PyObject *ix = PyObject_GetAttr(node, str_index);
            at = ix ? PyLong_AsSsize_t(ix) : -1;
            Py_XDECREF(ix);
            if (at < 0 || at >= nk) {
                Py_DECREF(sub);
                Py_DECREF(parent);
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "child index out of range");
                goto fail;
            }
        }
        PyObject *nkids = PyTuple_New(nk);
        PyObject *np = nkids ? cls->tp_alloc(cls, 2) : NULL;
        if (np == NULL) {
            Py_XDECREF(nkids);
            Py_DECREF(sub);
            Py_DECREF(parent);
            goto fail;
        }
        for (Py_ssize_t k = 0; k < nk; k++) {
            PyObject *item = k == at ? proof : PyTuple_GET_ITEM(kids, k);
            Py_INCREF(item);
            PyTuple_SET_ITEM(nkids, k, item);
        }
        PyObject *tactic = PyTuple_GET_ITEM(sub, 0);
        Py_INCREF(tactic);
        PyTuple_SET_ITEM(np, 0, tactic);
        PyTuple_SET_ITEM(np, 1, nkids);
        Py_DECREF(sub);
        if (PyObject_SetAttr(parent, str_proof, np) < 0) {
            Py_DECREF(np);
            Py_DECREF(parent);
            goto fail;
        }
        Py_SETREF(proof, np);
        Py_SETREF(node, parent);
    }
fail:
    Py_DECREF(node);
    Py_DECREF(proof);
    return NULL;
}

/* ---- prefix tokens ------------------------------------------------------------------------------------------
 * text.split(" ") for the printers' ASCII prefix texts, with the token strings shared through a small
 * direct-mapped cache (a goal of 300 tokens has a dozen distinct ones): no new string per token. */
#define TOKEN_CACHE 4096
static PyObject *token_cache[TOKEN_CACHE];

static PyObject *token_of(const char *p, Py_ssize_t n) {
    if (n > 24) return PyUnicode_FromStringAndSize(p, n);
    uint32_t h = 2166136261u;
    for (Py_ssize_t k = 0; k < n; k++) h = (h ^ (unsigned char)p[k]) * 16777619u;
    h ^= (uint32_t)n;
    PyObject **slot = &token_cache[h & (TOKEN_CACHE - 1)];
    PyObject *t = *slot;
    if (t != NULL && PyUnicode_GET_LENGTH(t) == n && memcmp(PyUnicode_DATA(t), p, (size_t)n) == 0) {
        Py_INCREF(t);
        return t;
    }
    t = PyUnicode_FromStringAndSize(p, n);
    if (t == NULL) return NULL;
    Py_INCREF(t);
    Py_XSETREF(*slot, t);
    return t;
}

static PyObject *py_split_tokens(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "split_tokens(text: str)");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(text)) return PyUnicode_Split(text, str_space, -1);
    const char *p = (const char *)PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), count = 1;
    for (Py_ssize_t k = 0; k < n; k++) count += p[k] == ' ';
    PyObject *out = PyList_New(count);
    if (out == NULL) return NULL;
    Py_ssize_t start = 0, i = 0;
    for (Py_ssize_t k = 0; k <= n; k++) {
        if (k == n || p[k] == ' ') {
            PyObject *t = token_of(p + start, k - start);
            if (t == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            PyList_SET_ITEM(out, i++, t);
            start = k + 1;
        }
    }
    return out;
}

/* ---- module ---------------------------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"make", (PyCFunction)(void (*)(void))py_make, METH_FASTCALL, "make(op, *args): the interned node"},
    {"make1", (PyCFunction)(void (*)(void))py_make1, METH_FASTCALL, "make1(op, a): the interned unary node"},
    {"make2", (PyCFunction)(void (*)(void))py_make2, METH_FASTCALL, "make2(op, a, b): the interned binary node"},
    {"leaf", (PyCFunction)(void (*)(void))py_leaf, METH_FASTCALL, "leaf(op, value, vtype): the interned leaf"},
    {"replace", (PyCFunction)(void (*)(void))py_replace, METH_FASTCALL,
     "replace(e, pos, new): e with the subtree at prefix position pos replaced by new"},
    {"infix", (PyCFunction)py_infix, METH_O, "infix(e): the infix text of e, stored on every node computed"},
    {"prefix", (PyCFunction)py_prefix, METH_O, "prefix(e): the prefix text of e, stored on every node computed"},
    {"parse_prefix", (PyCFunction)(void (*)(void))py_parse_prefix, METH_FASTCALL,
     "parse_prefix(tokens, arity, leaves, pi, allow_neg, max_depth): the tree, or None when the Python "
     "parser must decide (new variables, errors)"},
    {"match_memo", (PyCFunction)(void (*)(void))py_match_memo, METH_FASTCALL,
     "match_memo(expr, ctx): MatchIndex.node's memo, computed in C"},
    {"count_memo", (PyCFunction)(void (*)(void))py_count_memo, METH_FASTCALL,
     "count_memo(expr, block, actx): ActionIndex._count's memo, computed in C"},
    {"rebuild_path", (PyCFunction)(void (*)(void))py_rebuild_path, METH_FASTCALL,
     "rebuild_path(node, proof, cls): the root's proof after node's proof became proof (copies the path)"},
    {"split_tokens", (PyCFunction)py_split_tokens, METH_O,
     "split_tokens(text): text.split(' '), the token strings shared through a small cache"},
    {"descend", (PyCFunction)(void (*)(void))py_descend, METH_FASTCALL,
     "descend(expr, i, atok): (node, position, i, memo) of the node holding action i"},
    {"table_size", (PyCFunction)py_table_size, METH_NOARGS, "number of live interned nodes"},
    {"live_nodes", (PyCFunction)py_live_nodes, METH_NOARGS, "every live interned node"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT, "equations._native", "Native expression nodes (see equations/expr.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m = PyModule_Create(&moddef);
    if (m == NULL) return NULL;
    str_int = PyUnicode_InternFromString("int");
    str_var = PyUnicode_InternFromString("var");
    str_int_plus = PyUnicode_InternFromString("INT+");
    str_int_minus = PyUnicode_InternFromString("INT-");
    str_neg = PyUnicode_InternFromString("neg");
    if (!str_int || !str_var || !str_int_plus || !str_int_minus || !str_neg) goto fail;
    if (init_infix() < 0) goto fail;
    str_parent = PyUnicode_InternFromString("parent");
    str_proof = PyUnicode_InternFromString("proof");
    str_index = PyUnicode_InternFromString("index");
    str_space = PyUnicode_InternFromString(" ");
    if (!str_parent || !str_proof || !str_index || !str_space) goto fail;
    NodeType = (PyTypeObject *)PyType_FromSpec(&node_spec);
    if (NodeType == NULL) goto fail;
    Py_INCREF(NodeType);
    if (PyModule_AddObject(m, "Expr", (PyObject *)NodeType) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
