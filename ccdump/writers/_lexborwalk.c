/*
 * ccdump.writers._lexborwalk: the WAT/WET HTML walk of html_extract.py, compiled.
 *
 * Why this exists: walking lexbor's DOM from Python costs about a microsecond of bytecode per
 * node, ~0.8 ms for a 20 KB page: most of the cost of the WAT. Here the same walk runs in C
 * over the same lexbor DOM, so the output is that of the Python walk (html_extract._walk and
 * _Observer), which stays as the reference and the fallback; tests compare the two.
 *
 * Where lexbor comes from: the copy selectolax (a dependency) ships inside its extension module,
 * which exports lexbor's public API. bind() is given that module's path and resolves the few
 * functions used here with dlsym, so nothing of lexbor is vendored or needed at build time;
 * only lexbor's exported, non-inline ("_noi") functions are called and its structures are never
 * read directly. If a symbol is missing, bind() raises and html_extract keeps the Python walk.
 *
 * Text is handled as code points (UCS4), as the Python walk handles str: lengths such as the
 * 128-character limit of anchor text and titles count code points. Rare cases (entity
 * decoding of attribute values, data: URLs, CSS in <style>, onclick patterns, non-ASCII tag or
 * attribute names) call back into the Python helpers given to bind(), so there is one
 * implementation of each of those rules.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- lexbor, resolved at bind() ------------------------------------------------------------ */

typedef void lxb_doc;
typedef void lxb_node;
typedef void lxb_attr;

static lxb_doc *(*lx_doc_create)(void);
static unsigned int (*lx_doc_parse)(lxb_doc *, const unsigned char *, size_t);
static lxb_doc *(*lx_doc_destroy)(lxb_doc *);
static void (*lx_dom_opt_set)(lxb_doc *, uint32_t);
static void (*lx_scripting_set)(lxb_doc *, bool);
static lxb_node *(*lx_root)(lxb_doc *);
static lxb_node *(*lx_first_child)(lxb_node *);
static lxb_node *(*lx_next)(lxb_node *);
static lxb_node *(*lx_parent)(lxb_node *);
static int (*lx_type)(lxb_node *);
static const unsigned char *(*lx_element_name)(lxb_node *, size_t *);
static lxb_attr *(*lx_first_attr)(lxb_node *);
static lxb_attr *(*lx_next_attr)(lxb_attr *);
static const unsigned char *(*lx_attr_name)(lxb_attr *, size_t *);
static const unsigned char *(*lx_attr_value)(lxb_attr *, size_t *);
static unsigned char *(*lx_text_content)(lxb_node *, size_t *);
static void *(*lx_destroy_text)(lxb_doc *, unsigned char *);

#define NODE_ELEMENT 1
#define NODE_TEXT 3

static bool bound = false;

/* Python helpers (html_extract): url_value(str) -> str, unescape(str) -> str,
 * trim_data_url(str) -> str, style_links(str) -> list[dict], onclick_urls(str) -> list[str] */
static PyObject *py_url_value, *py_trim_data_url, *py_unescape, *py_style_links, *py_onclick_urls;

/* interned keys */
static PyObject *k_path, *k_url, *k_text, *k_head, *k_links, *k_title, *k_base, *k_metas,
    *k_link, *k_scripts, *k_name, *k_content;

/* ---- attribute names --------------------------------------------------------------------- */

/* The attribute names the extractors look up, as small ids: an element's attributes are
   classified once (read_attrs), so a lookup is an array index instead of a scan of the
   attributes with strlen/memcmp per name, and the names as str (dict keys) and the link paths
   ("A@/href") are made once instead of per link. Id 0 ends the lists below. */
enum {
    AT_NONE = 0,
    AT_HREF,
    AT_SRC,
    AT_ALT,
    AT_TITLE,
    AT_TARGET,
    AT_REL,
    AT_HREFLANG,
    AT_TYPE,
    AT_ACTION,
    AT_METHOD,
    AT_LONGDESC,
    AT_FORMACTION,
    AT_ONCLICK,
    AT_CODEBASE,
    AT_CDATA,
    AT_DATA,
    AT_CITE,
    AT_POSTER,
    AT_ICON,
    AT_LANG,
    AT_XML_LANG,
    AT_NAME,
    AT_CONTENT,
    AT_HTTP_EQUIV,
    AT_PROPERTY,
    /* the global href attributes, matched case-insensitively by extract() */
    AT_BACKGROUND,
    AT_DATA_HREF,
    AT_DATA_URI,
    N_AT,
};

typedef struct {
    const char *name;
    uint8_t len;
    PyObject *py; /* interned, made at module init */
} AttrName;

#define AN(s) {s, sizeof(s) - 1, NULL}
static AttrName ATTR_NAMES[N_AT] = {
    [AT_HREF] = AN("href"),
    [AT_SRC] = AN("src"),
    [AT_ALT] = AN("alt"),
    [AT_TITLE] = AN("title"),
    [AT_TARGET] = AN("target"),
    [AT_REL] = AN("rel"),
    [AT_HREFLANG] = AN("hreflang"),
    [AT_TYPE] = AN("type"),
    [AT_ACTION] = AN("action"),
    [AT_METHOD] = AN("method"),
    [AT_LONGDESC] = AN("longdesc"),
    [AT_FORMACTION] = AN("formaction"),
    [AT_ONCLICK] = AN("onclick"),
    [AT_CODEBASE] = AN("codebase"),
    [AT_CDATA] = AN("cdata"),
    [AT_DATA] = AN("data"),
    [AT_CITE] = AN("cite"),
    [AT_POSTER] = AN("poster"),
    [AT_ICON] = AN("icon"),
    [AT_LANG] = AN("lang"),
    [AT_XML_LANG] = AN("xml:lang"),
    [AT_NAME] = AN("name"),
    [AT_CONTENT] = AN("content"),
    [AT_HTTP_EQUIV] = AN("http-equiv"),
    [AT_PROPERTY] = AN("property"),
    [AT_BACKGROUND] = AN("background"),
    [AT_DATA_HREF] = AN("data-href"),
    [AT_DATA_URI] = AN("data-uri"),
};
#undef AN

/* The ids by a hash of the name (its length, first and last bytes: cheap, and distinct enough
   for these names), open addressing: classifying an attribute costs one probe, and for most
   names (class, id, style...) no compare at all. Built at module init. */
#define AT_SLOTS 128 /* a power of two, well above N_AT */
static uint8_t AT_INDEX[AT_SLOTS]; /* AT_NONE: empty */

static inline unsigned at_hash(const unsigned char *name, size_t len)
{
    return ((unsigned)len * 37u + name[0] * 7u + name[len - 1]) & (AT_SLOTS - 1);
}

static void at_index_init(void)
{
    memset(AT_INDEX, 0, sizeof AT_INDEX);
    for (int id = 1; id < N_AT; id++) {
        const AttrName *an = &ATTR_NAMES[id];
        unsigned h = at_hash((const unsigned char *)an->name, an->len);
        while (AT_INDEX[h] != AT_NONE)
            h = (h + 1) & (AT_SLOTS - 1);
        AT_INDEX[h] = (uint8_t)id;
    }
}

/* a == b for the short names here: inline, where a memcmp call costs more than the compare */
static inline bool same_bytes(const char *a, const char *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The id of an attribute name (exact, case-sensitive: attrs.get() of the Python walk), AT_NONE
   for a name no extractor looks up by that spelling. */
static inline int at_classify(const unsigned char *name, size_t len)
{
    if (len == 0)
        return AT_NONE;
    for (unsigned h = at_hash(name, len); AT_INDEX[h] != AT_NONE; h = (h + 1) & (AT_SLOTS - 1)) {
        const AttrName *an = &ATTR_NAMES[AT_INDEX[h]];
        if (an->len == len && same_bytes((const char *)name, an->name, len))
            return AT_INDEX[h];
    }
    return AT_NONE;
}

/* ---- tag table ---------------------------------------------------------------------------- */

enum {
    F_BLOCK = 1,
    F_INLINE = 2,      /* inline spacing */
    F_VOID = 4,
    F_OPAQUE = 8,
};

enum {
    S_NONE = 0,
    S_HEAD,
    S_TITLE,
    S_PRE,
    S_SVG,
    S_BODY,
    S_A,
    S_STYLE,
};

enum {
    X_NONE = 0,
    X_A,
    X_AREA,
    X_BASE,
    X_DIV,
    X_FORM,
    X_HTML,
    X_IMG,
    X_INPUT,
    X_LINK,
    X_META,
    X_SCRIPT,
    X_BASIC, /* basic[] lists the URL attributes */
};

typedef struct {
    const char *name; /* upper case */
    uint8_t flags;
    uint8_t special;
    uint8_t extractor;
    uint8_t basic[4]; /* attribute ids (AT_*), 0-terminated */
    PyObject *pyname; /* the name as str, made at bind() */
    uint8_t len;      /* strlen(name), set at bind() */
} TagInfo;

/* sorted by name (strcmp), which bind() checks: no name twice */
static TagInfo TAGS[] = {
    {"A", 0, S_A, X_A, {0}, 0, 0},
    {"ADDRESS", F_BLOCK | F_INLINE, 0, 0, {0}, 0, 0},
    {"APPLET", 0, 0, X_BASIC, {AT_CODEBASE, AT_CDATA, 0}, 0, 0},
    {"AREA", F_VOID, 0, X_AREA, {0}, 0, 0},
    {"ARTICLE", F_BLOCK, 0, 0, {0}, 0, 0},
    {"ASIDE", F_BLOCK, 0, 0, {0}, 0, 0},
    {"AUDIO", 0, 0, X_BASIC, {AT_SRC, 0}, 0, 0},
    {"BASE", F_VOID, 0, X_BASE, {0}, 0, 0},
    {"BASEFONT", F_VOID, 0, 0, {0}, 0, 0},
    {"BGSOUND", F_VOID, 0, 0, {0}, 0, 0},
    {"BLOCKQUOTE", F_BLOCK, 0, X_BASIC, {AT_CITE, 0}, 0, 0},
    {"BODY", F_BLOCK, S_BODY, 0, {0}, 0, 0},
    {"BR", F_BLOCK | F_VOID, 0, 0, {0}, 0, 0},
    {"BUTTON", F_BLOCK, 0, X_BASIC, {AT_FORMACTION, 0}, 0, 0},
    {"CANVAS", F_BLOCK, 0, 0, {0}, 0, 0},
    {"CAPTION", F_BLOCK, 0, 0, {0}, 0, 0},
    {"CENTER", F_BLOCK, 0, 0, {0}, 0, 0},
    {"CITE", F_INLINE, 0, 0, {0}, 0, 0},
    {"COL", F_BLOCK | F_VOID, 0, 0, {0}, 0, 0},
    {"COLGROUP", F_BLOCK, 0, 0, {0}, 0, 0},
    {"DATALIST", F_INLINE, 0, 0, {0}, 0, 0},
    {"DD", F_BLOCK, 0, 0, {0}, 0, 0},
    {"DEL", 0, 0, X_BASIC, {AT_CITE, 0}, 0, 0},
    {"DETAILS", F_INLINE, 0, 0, {0}, 0, 0},
    {"DIV", F_BLOCK, 0, X_DIV, {0}, 0, 0},
    {"DL", F_BLOCK, 0, 0, {0}, 0, 0},
    {"DT", F_BLOCK, 0, 0, {0}, 0, 0},
    {"EMBED", F_BLOCK | F_VOID, 0, X_BASIC, {AT_SRC, 0}, 0, 0},
    {"FIELDSET", F_BLOCK, 0, 0, {0}, 0, 0},
    {"FIGCAPTION", F_BLOCK, 0, 0, {0}, 0, 0},
    {"FIGURE", F_BLOCK, 0, 0, {0}, 0, 0},
    {"FOOTER", F_BLOCK, 0, 0, {0}, 0, 0},
    {"FORM", F_BLOCK, 0, X_FORM, {0}, 0, 0},
    {"FRAME", F_VOID, 0, X_BASIC, {AT_SRC, 0}, 0, 0},
    {"H1", F_BLOCK, 0, 0, {0}, 0, 0},
    {"H2", F_BLOCK, 0, 0, {0}, 0, 0},
    {"H3", F_BLOCK, 0, 0, {0}, 0, 0},
    {"H4", F_BLOCK, 0, 0, {0}, 0, 0},
    {"H5", F_BLOCK, 0, 0, {0}, 0, 0},
    {"H6", F_BLOCK, 0, 0, {0}, 0, 0},
    {"HEAD", 0, S_HEAD, 0, {0}, 0, 0},
    {"HEADER", F_BLOCK, 0, 0, {0}, 0, 0},
    {"HGROUP", F_BLOCK, 0, 0, {0}, 0, 0},
    {"HR", F_BLOCK | F_VOID, 0, 0, {0}, 0, 0},
    {"HTML", 0, 0, X_HTML, {0}, 0, 0},
    {"IFRAME", F_INLINE | F_OPAQUE, 0, X_BASIC, {AT_SRC, 0}, 0, 0},
    {"IMAGE", F_VOID, 0, 0, {0}, 0, 0},
    {"IMG", F_INLINE | F_VOID, 0, X_IMG, {0}, 0, 0},
    {"INPUT", F_INLINE | F_VOID, 0, X_INPUT, {0}, 0, 0},
    {"INS", 0, 0, X_BASIC, {AT_CITE, 0}, 0, 0},
    {"KEYGEN", F_VOID, 0, 0, {0}, 0, 0},
    {"LABEL", F_INLINE, 0, 0, {0}, 0, 0},
    {"LEGEND", F_INLINE, 0, 0, {0}, 0, 0},
    {"LI", F_BLOCK, 0, 0, {0}, 0, 0},
    {"LINK", F_VOID, 0, X_LINK, {0}, 0, 0},
    {"MAP", F_BLOCK, 0, 0, {0}, 0, 0},
    {"MENUITEM", 0, 0, X_BASIC, {AT_ICON, 0}, 0, 0},
    {"META", F_VOID, 0, X_META, {0}, 0, 0},
    {"NOEMBED", F_OPAQUE, 0, 0, {0}, 0, 0},
    {"NOFRAMES", F_BLOCK | F_OPAQUE, 0, 0, {0}, 0, 0},
    {"NOSCRIPT", F_BLOCK, 0, 0, {0}, 0, 0},
    {"OBJECT", F_BLOCK, 0, X_BASIC, {AT_CODEBASE, AT_CDATA, AT_DATA, 0}, 0, 0},
    {"OL", F_BLOCK, 0, 0, {0}, 0, 0},
    {"OPTGROUP", F_INLINE, 0, 0, {0}, 0, 0},
    {"OUTPUT", F_BLOCK, 0, 0, {0}, 0, 0},
    {"P", F_BLOCK, 0, 0, {0}, 0, 0},
    {"PARAM", F_VOID, 0, 0, {0}, 0, 0},
    {"PRE", F_BLOCK, S_PRE, 0, {0}, 0, 0},
    {"PROGRESS", F_BLOCK, 0, 0, {0}, 0, 0},
    {"Q", F_INLINE, 0, X_BASIC, {AT_CITE, 0}, 0, 0},
    {"SCRIPT", F_OPAQUE, 0, X_SCRIPT, {0}, 0, 0},
    {"SECTION", F_BLOCK, 0, 0, {0}, 0, 0},
    {"SELECT", F_INLINE, 0, 0, {0}, 0, 0},
    {"SOURCE", F_VOID, 0, X_BASIC, {AT_SRC, 0}, 0, 0},
    {"STYLE", F_OPAQUE, S_STYLE, 0, {0}, 0, 0},
    {"SUMMARY", F_INLINE, 0, 0, {0}, 0, 0},
    {"SVG", 0, S_SVG, 0, {0}, 0, 0},
    {"TABLE", F_BLOCK, 0, 0, {0}, 0, 0},
    {"TBODY", F_BLOCK | F_INLINE, 0, 0, {0}, 0, 0},
    {"TD", F_INLINE, 0, 0, {0}, 0, 0},
    {"TEMPLATE", F_OPAQUE, 0, 0, {0}, 0, 0},
    {"TEXTAREA", F_BLOCK, 0, 0, {0}, 0, 0},
    {"TFOOT", F_BLOCK, 0, 0, {0}, 0, 0},
    {"TH", F_BLOCK, 0, 0, {0}, 0, 0},
    {"THEAD", F_BLOCK, 0, 0, {0}, 0, 0},
    {"TIME", F_INLINE, 0, 0, {0}, 0, 0},
    {"TITLE", F_BLOCK, S_TITLE, 0, {0}, 0, 0},
    {"TR", F_BLOCK, 0, 0, {0}, 0, 0},
    {"TRACK", F_VOID, 0, X_BASIC, {AT_SRC, 0}, 0, 0},
    {"UL", F_BLOCK, 0, 0, {0}, 0, 0},
    {"VIDEO", F_BLOCK, 0, X_BASIC, {AT_SRC, AT_POSTER, 0}, 0, 0},
    {"WBR", F_VOID, 0, 0, {0}, 0, 0},
};
#define NTAGS (sizeof(TAGS) / sizeof(TAGS[0]))

/* TAGS by a hash of the upper-case name (open addressing), built at bind(): a lookup hashes
   the few bytes of the name and compares once, where bsearch took ~7 strcmp calls per element. */
#define TAG_SLOTS 512 /* a power of two, well above NTAGS */
static int16_t TAG_INDEX[TAG_SLOTS];

static inline uint32_t tag_hash(const char *name, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 16777619u;
    return h;
}

static void tag_index_init(void)
{
    for (size_t i = 0; i < TAG_SLOTS; i++)
        TAG_INDEX[i] = -1;
    for (size_t t = 0; t < NTAGS; t++) {
        TAGS[t].len = (uint8_t)strlen(TAGS[t].name);
        uint32_t h = tag_hash(TAGS[t].name, TAGS[t].len) & (TAG_SLOTS - 1);
        while (TAG_INDEX[h] >= 0)
            h = (h + 1) & (TAG_SLOTS - 1);
        TAG_INDEX[h] = (int16_t)t;
    }
}

/* the TAGS entry of an upper-case name, NULL if none */
static inline const TagInfo *tag_lookup(const char *name, size_t len)
{
    uint32_t h = tag_hash(name, len) & (TAG_SLOTS - 1);
    for (int t; (t = TAG_INDEX[h]) >= 0; h = (h + 1) & (TAG_SLOTS - 1))
        if (TAGS[t].len == len && same_bytes(TAGS[t].name, name, len))
            return &TAGS[t];
    return NULL;
}

/* ---- code point buffers -------------------------------------------------------------------- */

typedef struct {
    Py_UCS4 *d;
    Py_ssize_t n, cap;
} UBuf;

static int ubuf_reserve(UBuf *b, Py_ssize_t extra)
{
    if (b->n + extra <= b->cap)
        return 0;
    Py_ssize_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra)
        cap *= 2;
    Py_UCS4 *d = PyMem_Realloc(b->d, (size_t)cap * sizeof(Py_UCS4));
    if (d == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->d = d;
    b->cap = cap;
    return 0;
}

static int ubuf_append(UBuf *b, const Py_UCS4 *s, Py_ssize_t n)
{
    if (n <= 0)
        return 0;
    if (ubuf_reserve(b, n) < 0)
        return -1;
    memcpy(b->d + b->n, s, (size_t)n * sizeof(Py_UCS4));
    b->n += n;
    return 0;
}

static int ubuf_push(UBuf *b, Py_UCS4 c) { return ubuf_append(b, &c, 1); }

static inline Py_UCS4 ubuf_last(const UBuf *b) { return b->d[b->n - 1]; }

/* characters <= U+0020, which Java's String.trim removes */
static PyObject *jtrim_str(const Py_UCS4 *s, Py_ssize_t n, Py_ssize_t limit)
{
    Py_ssize_t a = 0;
    while (a < n && s[a] <= 0x20)
        a++;
    while (n > a && s[n - 1] <= 0x20)
        n--;
    if (n - a > limit)
        n = a + limit;
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, s + a, n - a);
}

/* the whitespace of the text rules (html_extract._WS, _JAVA_WS_CHARS) */
static inline bool is_ws(Py_UCS4 c)
{
    if (c == ' ')
        return true;
    if (c < 0x1680)
        return false;
    return c == 0x1680 || (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x205F || c == 0x3000;
}

static inline bool is_java_ws(Py_UCS4 c)
{
    return is_ws(c) || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

#define MAX_TEXT_LEN 128

/* ---- the observer -------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *name, *value; /* value NULL: no value (None) */
    size_t name_len, value_len;
} Attr;

typedef struct {
    Attr *a;
    int n, cap;
    int last[N_AT]; /* by attribute id: index in a of its last occurrence, -1 if none */
} Attrs;

typedef struct {
    PyObject *link; /* owned; NULL for an anchor without href */
    UBuf text;
} Anchor;

typedef struct {
    PyObject *meta;  /* owned */
    PyObject *head;  /* borrowed from meta, or NULL */
    PyObject *links; /* borrowed from meta, or NULL */
    UBuf parts;      /* the text extract, joined */
    Anchor *anchors;
    Py_ssize_t n_anchors, cap_anchors;
    UBuf title;
    bool has_title;
    bool in_head, in_title, in_pre, in_svg;
    UBuf scratch; /* one text node */
    Attrs attrs;  /* of the element being opened */
} Obs;

static PyObject *get_head(Obs *o)
{
    if (o->head == NULL) {
        PyObject *head = PyDict_New();
        if (head == NULL)
            return NULL;
        if (PyDict_SetItem(o->meta, k_head, head) < 0) {
            Py_DECREF(head);
            return NULL;
        }
        Py_DECREF(head);
        o->head = head;
    }
    return o->head;
}

/* steals link */
static int add_link(Obs *o, PyObject *link)
{
    if (link == NULL)
        return -1;
    if (o->links == NULL) {
        PyObject *links = PyDict_GetItemWithError(o->meta, k_links);
        if (links == NULL) {
            if (PyErr_Occurred())
                goto fail;
            links = PyList_New(0);
            if (links == NULL)
                goto fail;
            if (PyDict_SetItem(o->meta, k_links, links) < 0) {
                Py_DECREF(links);
                goto fail;
            }
            Py_DECREF(links);
        }
        o->links = links;
    }
    int r = PyList_Append(o->links, link);
    Py_DECREF(link);
    return r;
fail:
    Py_DECREF(link);
    return -1;
}

/* head.setdefault(key, []).append(item); steals item */
static int head_list_append(Obs *o, PyObject *key, PyObject *item)
{
    if (item == NULL)
        return -1;
    PyObject *head = get_head(o);
    if (head == NULL)
        goto fail;
    PyObject *list = PyDict_GetItemWithError(head, key);
    if (list == NULL) {
        if (PyErr_Occurred())
            goto fail;
        list = PyList_New(0);
        if (list == NULL)
            goto fail;
        if (PyDict_SetItem(head, key, list) < 0) {
            Py_DECREF(list);
            goto fail;
        }
        Py_DECREF(list);
    }
    int r = PyList_Append(list, item);
    Py_DECREF(item);
    return r;
fail:
    Py_DECREF(item);
    return -1;
}

/* set_head_value: None (value NULL) removes the key; steals value */
static int set_head_value(Obs *o, PyObject *key, PyObject *value, bool is_none)
{
    PyObject *head = get_head(o);
    if (head == NULL) {
        Py_XDECREF(value);
        return -1;
    }
    if (is_none) {
        if (PyDict_DelItem(head, key) < 0) {
            if (!PyErr_ExceptionMatches(PyExc_KeyError))
                return -1;
            PyErr_Clear();
        }
        return 0;
    }
    if (value == NULL)
        return -1;
    int r = PyDict_SetItem(head, key, value);
    Py_DECREF(value);
    return r;
}

static void paragraph(Obs *o)
{
    UBuf *p = &o->parts;
    while (p->n && p->d[p->n - 1] == ' ')
        p->n--;
    if (p->n && p->d[p->n - 1] != '\n')
        ubuf_push(p, '\n'); /* reserve failure leaves an error set; checked by the caller */
}

static void space(Obs *o)
{
    UBuf *p = &o->parts;
    if (p->n && p->d[p->n - 1] != ' ' && p->d[p->n - 1] != '\n')
        ubuf_push(p, ' ');
}

static int text_extra(Obs *o, const Py_UCS4 *t, Py_ssize_t n)
{
    if (n > MAX_TEXT_LEN)
        n = MAX_TEXT_LEN;
    if (o->in_title) {
        Py_ssize_t a = 0, e = n;
        while (a < e && t[a] <= 0x20)
            a++;
        while (e > a && t[e - 1] <= 0x20)
            e--;
        o->title.n = 0;
        o->has_title = true;
        return ubuf_append(&o->title, t + a, e - a);
    }
    for (Py_ssize_t i = 0; i < o->n_anchors; i++) {
        UBuf *s = &o->anchors[i].text;
        if (s->n >= MAX_TEXT_LEN)
            break;
        const Py_UCS4 *c = t;
        Py_ssize_t cn = (s->n + n < MAX_TEXT_LEN) ? n : MAX_TEXT_LEN - s->n;
        if (cn > 0 && (s->n == 0 || ubuf_last(s) == ' ') && c[0] == ' ') {
            c++;
            cn--;
        }
        if (ubuf_append(s, c, cn) < 0)
            return -1;
    }
    return 0;
}

/* _Observer.close */
static int obs_close(Obs *o, const TagInfo *info)
{
    int special = info ? info->special : 0;
    int flags = info ? info->flags : 0;
    bool effect = (flags & (F_BLOCK | F_INLINE)) || special == S_A || special == S_HEAD || special == S_PRE ||
                  special == S_SVG;
    if (!effect && !o->in_title)
        return 0;
    if (o->in_title) {
        o->in_title = false;
        if (!o->in_svg) {
            bool has_title_key = false;
            if (o->head != NULL) {
                int c = PyDict_Contains(o->head, k_title);
                if (c < 0)
                    return -1;
                has_title_key = c;
            }
            if (o->in_head || !has_title_key) {
                if (o->has_title) {
                    if (set_head_value(o, k_title,
                                       PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, o->title.d, o->title.n),
                                       false) < 0)
                        return -1;
                } else if (set_head_value(o, k_title, NULL, true) < 0)
                    return -1;
            }
        }
        o->has_title = false;
        o->title.n = 0;
    }
    if (flags & (F_BLOCK | F_INLINE)) {
        if (flags & F_BLOCK)
            paragraph(o);
        else
            space(o);
        for (Py_ssize_t i = 0; i < o->n_anchors; i++) {
            UBuf *s = &o->anchors[i].text;
            if (s->n && ubuf_last(s) != ' ' && ubuf_last(s) != '\n')
                if (ubuf_push(s, ' ') < 0)
                    return -1;
        }
        if (PyErr_Occurred())
            return -1;
    }
    if (special == S_A) {
        if (o->n_anchors) {
            Anchor *a = &o->anchors[--o->n_anchors];
            PyObject *link = a->link;
            a->link = NULL;
            if (link != NULL) {
                PyObject *trimmed = jtrim_str(a->text.d, a->text.n, MAX_TEXT_LEN);
                if (trimmed == NULL) {
                    Py_DECREF(link);
                    return -1;
                }
                if (PyUnicode_GET_LENGTH(trimmed) && PyDict_SetItem(link, k_text, trimmed) < 0) {
                    Py_DECREF(trimmed);
                    Py_DECREF(link);
                    return -1;
                }
                Py_DECREF(trimmed);
                if (add_link(o, link) < 0)
                    return -1;
            }
            a->text.n = 0;
        }
    } else if (special == S_HEAD)
        o->in_head = false;
    else if (special == S_PRE)
        o->in_pre = false;
    else if (special == S_SVG)
        o->in_svg = false;
    return 0;
}

/* ---- attributes ---------------------------------------------------------------------------- */

/* The attributes of an element, in order; with classify, also the last occurrence of each
   attribute id (only elements with an extractor look attributes up by name). */
static int read_attrs(lxb_node *el, Attrs *as, bool classify)
{
    as->n = 0;
    if (classify)
        memset(as->last, 0xff, sizeof as->last); /* all -1 */
    for (lxb_attr *at = lx_first_attr(el); at != NULL; at = lx_next_attr(at)) {
        if (as->n == as->cap) {
            int cap = as->cap ? as->cap * 2 : 16;
            Attr *a = PyMem_Realloc(as->a, (size_t)cap * sizeof(Attr));
            if (a == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            as->a = a;
            as->cap = cap;
        }
        Attr *a = &as->a[as->n];
        a->name_len = 0;
        a->name = lx_attr_name(at, &a->name_len);
        a->value_len = 0;
        a->value = lx_attr_value(at, &a->value_len);
        if (a->name == NULL) {
            a->name = (const unsigned char *)"";
            a->name_len = 0;
        }
        if (classify) {
            int id = at_classify(a->name, a->name_len);
            if (id != AT_NONE)
                as->last[id] = as->n;
        }
        as->n++;
    }
    return 0;
}

/* attrs.get(name) of selectolax's attribute dict: the last attribute of that name wins */
static inline const Attr *attr_get(const Attrs *as, int id)
{
    int i = as->last[id];
    return i >= 0 ? &as->a[i] : NULL;
}

static inline const Attr *attr_value(const Attrs *as, int id)
{
    const Attr *a = attr_get(as, id);
    return (a != NULL && a->value != NULL) ? a : NULL;
}

static PyObject *attr_str(const Attr *a)
{
    return PyUnicode_DecodeUTF8((const char *)a->value, (Py_ssize_t)a->value_len, "replace");
}

/* _decode(value): entity-decoded again when it holds '&' */
static PyObject *decoded(const Attr *a)
{
    PyObject *s = attr_str(a);
    if (s == NULL || memchr(a->value, '&', a->value_len) == NULL)
        return s;
    PyObject *r = PyObject_CallOneArg(py_unescape, s);
    Py_DECREF(s);
    return r;
}

/* trim_data_url(_decode(value)) */
static PyObject *url_value(const Attr *a)
{
    PyObject *s = attr_str(a);
    if (s == NULL)
        return NULL;
    if (memchr(a->value, '&', a->value_len) == NULL &&
        !(a->value_len >= 5 && memcmp(a->value, "data:", 5) == 0))
        return s;
    PyObject *r = PyObject_CallOneArg(py_url_value, s);
    Py_DECREF(s);
    return r;
}

/* f"{tag}@/{attr}", the "path" of a link. For a tag of TAGS it is made once per process and
   kept (PATHS), as the same few dozen paths come back on every page; a tag outside TAGS (only
   the global href attributes reach here with one) gets a new string. */
static PyObject *PATHS[NTAGS][N_AT];

static PyObject *path_of(const TagInfo *info, PyObject *tag, int attr)
{
    if (info == NULL)
        return PyUnicode_FromFormat("%U@/%s", tag, ATTR_NAMES[attr].name);
    PyObject **slot = &PATHS[info - TAGS][attr];
    if (*slot == NULL) {
        *slot = PyUnicode_FromFormat("%U@/%s", info->pyname, ATTR_NAMES[attr].name);
        if (*slot == NULL)
            return NULL;
    }
    return Py_NewRef(*slot);
}

static PyObject *new_link(PyObject *path, PyObject *url_key, PyObject *url)
{
    PyObject *link = NULL;
    if (path == NULL || url == NULL)
        goto done;
    link = PyDict_New();
    if (link == NULL)
        goto done;
    if (PyDict_SetItem(link, k_path, path) < 0 || PyDict_SetItem(link, url_key, url) < 0)
        Py_CLEAR(link);
done:
    Py_XDECREF(path);
    Py_XDECREF(url);
    return link;
}

/* _url_with: NULL with no error set when the URL attribute is absent */
static PyObject *url_with(const Attrs *as, const TagInfo *info, int url_attr, const uint8_t *extra)
{
    const Attr *u = attr_value(as, url_attr);
    if (u == NULL)
        return NULL;
    PyObject *link = new_link(path_of(info, NULL, url_attr), k_url, url_value(u));
    if (link == NULL)
        return NULL;
    for (; *extra; extra++) {
        const Attr *e = attr_value(as, *extra);
        if (e == NULL)
            continue;
        PyObject *v = decoded(e);
        if (v == NULL || PyDict_SetItem(link, ATTR_NAMES[*extra].py, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(link);
            return NULL;
        }
        Py_DECREF(v);
    }
    return link;
}

static int basic(Obs *o, const Attrs *as, const TagInfo *info, const uint8_t *ids)
{
    for (; *ids; ids++) {
        const Attr *a = attr_value(as, *ids);
        if (a != NULL && add_link(o, new_link(path_of(info, NULL, *ids), k_url, url_value(a))) < 0)
            return -1;
    }
    return 0;
}

static int onclick(Obs *o, const Attrs *as, const TagInfo *info)
{
    const Attr *a = attr_value(as, AT_ONCLICK);
    if (a == NULL)
        return 0;
    PyObject *s = attr_str(a);
    if (s == NULL)
        return -1;
    PyObject *urls = PyObject_CallOneArg(py_onclick_urls, s);
    Py_DECREF(s);
    if (urls == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(urls); i++) {
        PyObject *url = PyList_GET_ITEM(urls, i);
        Py_INCREF(url);
        if (add_link(o, new_link(path_of(info, NULL, AT_ONCLICK), k_url, url)) < 0) {
            Py_DECREF(urls);
            return -1;
        }
    }
    Py_DECREF(urls);
    return 0;
}

static const uint8_t A_EXTRA[] = {AT_TARGET, AT_ALT, AT_TITLE, AT_REL, AT_HREFLANG, AT_TYPE, 0};
static const uint8_t AREA_EXTRA[] = {AT_REL, 0};
static const uint8_t FORM_EXTRA[] = {AT_TARGET, AT_METHOD, 0};
static const uint8_t IMG_EXTRA[] = {AT_ALT, AT_TITLE, 0};
static const uint8_t LINK_EXTRA[] = {AT_REL, AT_TYPE, 0};
static const uint8_t SCRIPT_EXTRA[] = {AT_TYPE, 0};
static const uint8_t INPUT_BASIC[] = {AT_SRC, AT_FORMACTION, 0};
static const uint8_t LONGDESC[] = {AT_LONGDESC, 0};
static const uint8_t META_ATTRS[] = {AT_NAME, AT_REL, AT_CONTENT, AT_HTTP_EQUIV, AT_PROPERTY, 0};

static int push_anchor(Obs *o, PyObject *link)
{
    if (o->n_anchors == o->cap_anchors) {
        Py_ssize_t cap = o->cap_anchors ? o->cap_anchors * 2 : 8;
        Anchor *a = PyMem_Realloc(o->anchors, (size_t)cap * sizeof(Anchor));
        if (a == NULL) {
            Py_XDECREF(link);
            PyErr_NoMemory();
            return -1;
        }
        memset(a + o->cap_anchors, 0, (size_t)(cap - o->cap_anchors) * sizeof(Anchor));
        o->anchors = a;
        o->cap_anchors = cap;
    }
    Anchor *a = &o->anchors[o->n_anchors++];
    a->link = link;
    a->text.n = 0;
    return 0;
}

static int x_meta(Obs *o, const Attrs *as)
{
    const Attr *found[5];
    int n = 0;
    bool og_image = false;
    for (int i = 0; META_ATTRS[i]; i++) {
        found[i] = attr_value(as, META_ATTRS[i]);
        if (found[i] != NULL)
            n++;
    }
    if (n < 2)
        return 0; /* a single attribute is dropped */
    PyObject *values[5] = {0};
    int rc = -1;
    for (int i = 0; i < 5; i++) {
        if (found[i] == NULL)
            continue;
        values[i] = decoded(found[i]);
        if (values[i] == NULL)
            goto done;
    }
    if (values[4] != NULL && PyUnicode_CompareWithASCIIString(values[4], "og:image") == 0)
        og_image = true;
    if (og_image && values[2] != NULL) {
        PyObject *t = PyObject_CallOneArg(py_trim_data_url, values[2]);
        if (t == NULL)
            goto done;
        Py_SETREF(values[2], t);
    }
    PyObject *d = PyDict_New();
    if (d == NULL)
        goto done;
    for (int i = 0; i < 5; i++) {
        if (values[i] == NULL)
            continue;
        if (PyDict_SetItem(d, ATTR_NAMES[META_ATTRS[i]].py, values[i]) < 0) {
            Py_DECREF(d);
            goto done;
        }
    }
    rc = head_list_append(o, k_metas, d);
done:
    for (int i = 0; i < 5; i++)
        Py_XDECREF(values[i]);
    return rc;
}

/* The element's own extractor, after the global href attributes (background, data-href,
   data-uri) of any element. ``name`` is the upper-case tag name as str, NULL for a tag outside
   TAGS until a global attribute needs it (made from ``upper``). */
static int extract(Obs *o, const TagInfo *info, lxb_node *el, const char *upper, size_t upper_len, PyObject *name)
{
    int extractor = info ? info->extractor : X_NONE;
    const Attrs *as = &o->attrs;
    if (read_attrs(el, &o->attrs, extractor != X_NONE) < 0)
        return -1;
    if (as->n == 0 && extractor != X_A)
        return 0;
    PyObject *own_name = NULL;
    static const uint8_t globals[] = {AT_BACKGROUND, AT_DATA_HREF, AT_DATA_URI};
    for (int i = 0; i < as->n; i++) {
        const Attr *a = &as->a[i];
        if (a->name_len < 8 || a->name_len > 10) /* the lengths of the three names */
            continue;
        for (int g = 0; g < 3; g++) {
            const AttrName *gn = &ATTR_NAMES[globals[g]];
            if (a->name_len != gn->len || strncasecmp((const char *)a->name, gn->name, gn->len) != 0)
                continue;
            /* dict semantics: the first occurrence's position, the last occurrence's value */
            bool earlier = false;
            for (int j = 0; j < i; j++)
                if (as->a[j].name_len == a->name_len && memcmp(as->a[j].name, a->name, a->name_len) == 0)
                    earlier = true;
            if (earlier)
                break;
            const Attr *last = a;
            for (int j = as->n - 1; j > i; j--)
                if (as->a[j].name_len == a->name_len && memcmp(as->a[j].name, a->name, a->name_len) == 0) {
                    last = &as->a[j];
                    break;
                }
            if (last->value == NULL)
                break;
            if (info == NULL && name == NULL) {
                own_name = PyUnicode_DecodeUTF8(upper, (Py_ssize_t)upper_len, "replace");
                if (own_name == NULL)
                    return -1;
                name = own_name;
            }
            if (add_link(o, new_link(path_of(info, name, globals[g]), k_url, url_value(last))) < 0) {
                Py_XDECREF(own_name);
                return -1;
            }
            break;
        }
    }
    Py_XDECREF(own_name);
    PyObject *link;
    switch (extractor) {
    case X_NONE:
        return 0;
    case X_A:
        link = url_with(as, info, AT_HREF, A_EXTRA);
        if (link == NULL && PyErr_Occurred())
            return -1;
        return push_anchor(o, link);
    case X_AREA:
        link = url_with(as, info, AT_HREF, AREA_EXTRA);
        break;
    case X_FORM:
        link = url_with(as, info, AT_ACTION, FORM_EXTRA);
        break;
    case X_IMG:
        link = url_with(as, info, AT_SRC, IMG_EXTRA);
        if (link == NULL && PyErr_Occurred())
            return -1;
        if (link != NULL && add_link(o, link) < 0)
            return -1;
        return attr_get(as, AT_LONGDESC) ? basic(o, as, info, LONGDESC) : 0;
    case X_BASE: {
        const Attr *h = attr_value(as, AT_HREF);
        return h ? set_head_value(o, k_base, decoded(h), false) : 0;
    }
    case X_HTML:
        for (int i = 0; i < 2; i++) {
            int an = i ? AT_XML_LANG : AT_LANG;
            const Attr *a = attr_value(as, an);
            if (a == NULL)
                continue;
            PyObject *d = PyDict_New();
            PyObject *n = path_of(info, NULL, an); /* "HTML@/lang" */
            PyObject *v = decoded(a);
            if (d == NULL || n == NULL || v == NULL || PyDict_SetItem(d, k_name, n) < 0 ||
                PyDict_SetItem(d, k_content, v) < 0) {
                Py_XDECREF(d);
                Py_XDECREF(n);
                Py_XDECREF(v);
                return -1;
            }
            Py_DECREF(n);
            Py_DECREF(v);
            if (head_list_append(o, k_metas, d) < 0)
                return -1;
        }
        return 0;
    case X_INPUT:
        if (basic(o, as, info, INPUT_BASIC) < 0)
            return -1;
        return onclick(o, as, info);
    case X_DIV:
        return onclick(o, as, info);
    case X_LINK:
        link = url_with(as, info, AT_HREF, LINK_EXTRA);
        if (link == NULL)
            return PyErr_Occurred() ? -1 : 0;
        return head_list_append(o, k_link, link);
    case X_SCRIPT:
        link = url_with(as, info, AT_SRC, SCRIPT_EXTRA);
        if (link == NULL)
            return PyErr_Occurred() ? -1 : 0;
        return head_list_append(o, k_scripts, link);
    case X_META:
        return x_meta(o, as);
    case X_BASIC:
        return basic(o, as, info, info->basic);
    default:
        return 0;
    }
    if (link == NULL)
        return PyErr_Occurred() ? -1 : 0;
    return add_link(o, link);
}

/* ---- the walk ------------------------------------------------------------------------------ */

/* The text of a text node into o->scratch as code points (selectolax decodes with "replace"). */
static int read_text(Obs *o, const unsigned char *data, size_t len)
{
    UBuf *b = &o->scratch;
    b->n = 0;
    if (ubuf_reserve(b, (Py_ssize_t)len) < 0)
        return -1;
    size_t i = 0;
    for (; i < len && data[i] < 0x80; i++)
        b->d[i] = data[i];
    if (i == len) {
        b->n = (Py_ssize_t)len;
        return 0;
    }
    PyObject *s = PyUnicode_DecodeUTF8((const char *)data, (Py_ssize_t)len, "replace");
    if (s == NULL)
        return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (ubuf_reserve(b, n) < 0 || PyUnicode_AsUCS4(s, b->d, b->cap, 0) == NULL) {
        Py_DECREF(s);
        return -1;
    }
    Py_DECREF(s);
    b->n = n;
    return 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* eight bytes to eight code points (SSE2 where there is, as on every x86-64: two stores instead
   of eight) */
static inline void widen8(Py_UCS4 *out, const unsigned char *in)
{
#ifdef __SSE2__
    __m128i zero = _mm_setzero_si128();
    __m128i b = _mm_loadl_epi64((const __m128i *)in);
    __m128i h = _mm_unpacklo_epi8(b, zero);
    _mm_storeu_si128((__m128i *)out, _mm_unpacklo_epi16(h, zero));
    _mm_storeu_si128((__m128i *)(out + 4), _mm_unpackhi_epi16(h, zero));
#else
    for (int k = 0; k < 8; k++)
        out[k] = in[k];
#endif
}

/* Normalise an all-ASCII text node straight from lexbor's bytes into o->parts, as the general
   path below would (there, is_ws of an ASCII character is c == ' '). Returns the number of
   characters appended, or -1 with parts unchanged when the text is not all ASCII. Most text
   nodes are ASCII: this saves a copy into scratch and a second pass. */
static Py_ssize_t text_ascii(Obs *o, const unsigned char *data, size_t len)
{
    UBuf *p = &o->parts;
    Py_UCS4 *out = p->d + p->n; /* room for len reserved by the caller */
    Py_ssize_t w = 0;
    if (o->in_pre) {
        for (size_t i = 0; i < len; i++) {
            if (data[i] >= 0x80)
                return -1;
            out[i] = data[i];
        }
        return (Py_ssize_t)len;
    }
    /* a leading whitespace run is dropped after an empty or whitespace-ended text: the run
       keeps its first character, which is then dropped, so skip the whole run */
    bool prev_ws = p->n == 0 || is_java_ws(ubuf_last(p));
    size_t i = 0;
    while (i < len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* Eight bytes at a time while they need no change: printable ASCII (0x20-0x7E) without
           two spaces in a row, nor a space after whitespace. Running text is mostly that, words
           and single spaces; the eight bytes of a chunk that is not go one by one below. */
        if (i + 8 <= len) {
            uint64_t v;
            memcpy(&v, data + i, 8);
            /* no byte >= 0x7F (adding 1 sets its high bit) nor < 0x20 (subtracting 0x20 borrows
               into the high bit of the lowest such byte) */
            bool printable = (((v | (v + ONES * 0x01)) | (v - ONES * 0x20)) & HIGHS) == 0;
            uint64_t x = v ^ (ONES * ' ');                           /* spaces: its zero bytes */
            uint64_t sp = ~(((x & ~HIGHS) + ~HIGHS) | x | ~HIGHS); /* their high bits, exactly */
            if (printable && (sp & (sp << 8)) == 0 && !(prev_ws && (sp & 0x80))) {
                widen8(out + w, data + i);
                w += 8;
                prev_ws = data[i + 7] == ' ';
                i += 8;
                continue;
            }
        }
#endif
        size_t end = i + 8 < len ? i + 8 : len;
        for (; i < end; i++) {
            unsigned char c = data[i];
            if (c >= 0x80)
                return -1;
            if (c <= 0x20 || c == 0x7F) { /* controls become spaces; a run keeps its first */
                if (prev_ws)
                    continue;
                prev_ws = true;
                c = ' ';
            } else
                prev_ws = false;
            out[w++] = c;
        }
    }
    return w;
}

static int on_text(Obs *o, lxb_node *node)
{
    size_t len = 0;
    /* a copy of the node's text (lexbor exports no in-place accessor), made in the document's
       text arena, which lx_doc_destroy frees whole: not given back one by one */
    unsigned char *data = lx_text_content(node, &len);
    if (data == NULL || len == 0)
        return 0;
    if (ubuf_reserve(&o->parts, (Py_ssize_t)len) < 0)
        return -1;
    Py_ssize_t n = text_ascii(o, data, len);
    Py_UCS4 *t;
    if (n >= 0) {
        t = o->parts.d + o->parts.n;
        o->parts.n += n;
    } else {
        if (read_text(o, data, len) < 0)
            return -1;
        t = o->scratch.d;
        n = o->scratch.n;
        if (!o->in_pre) {
            /* controls and U+00A0 become spaces, then a run of whitespace keeps its first character */
            Py_ssize_t w = 0;
            bool prev_ws = false;
            for (Py_ssize_t i = 0; i < n; i++) {
                Py_UCS4 c = t[i];
                if (c < 0x20 || c == 0x7F || c == 0xA0)
                    c = ' ';
                bool ws = is_ws(c);
                if (ws && prev_ws)
                    continue;
                prev_ws = ws;
                t[w++] = c;
            }
            n = w;
            if (n && is_ws(t[0]) && (o->parts.n == 0 || is_java_ws(ubuf_last(&o->parts)))) {
                t++;
                n--;
            }
        }
        if (ubuf_append(&o->parts, t, n) < 0)
            return -1;
    }
    if (o->n_anchors || o->in_title)
        return text_extra(o, t, n); /* t stays valid: text_extra does not grow parts */
    return 0;
}

static int on_style(Obs *o, lxb_doc *doc, lxb_node *node)
{
    size_t len = 0;
    unsigned char *data = lx_text_content(node, &len);
    PyObject *css = data ? PyUnicode_DecodeUTF8((const char *)data, (Py_ssize_t)len, "replace")
                         : PyUnicode_FromStringAndSize("", 0);
    if (data != NULL)
        lx_destroy_text(doc, data);
    if (css == NULL)
        return -1;
    PyObject *links = PyObject_CallOneArg(py_style_links, css);
    Py_DECREF(css);
    if (links == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(links); i++) {
        PyObject *link = PyList_GET_ITEM(links, i);
        Py_INCREF(link);
        if (add_link(o, link) < 0) {
            Py_DECREF(links);
            return -1;
        }
    }
    Py_DECREF(links);
    return 0;
}

#define KEY_MAX 64

/* The upper-case name of an element (``tag.upper()``) into key, and its TAGS entry (NULL if
   none). Non-ASCII and long names go through str.upper(), as in the Python walk; an upper-case
   name too long for key (no known tag is that long) is returned in *long_name instead (owned). */
static int tag_of(lxb_node *el, char *key, size_t *key_len, const TagInfo **info, PyObject **long_name)
{
    size_t len = 0;
    const unsigned char *name = lx_element_name(el, &len);
    *info = NULL;
    *long_name = NULL;
    *key_len = 0;
    key[0] = 0;
    if (name == NULL)
        return 0;
    bool ascii = len < KEY_MAX;
    for (size_t i = 0; ascii && i < len; i++) {
        unsigned char c = name[i];
        if (c >= 0x80)
            ascii = false;
        else
            key[i] = (char)((c >= 'a' && c <= 'z') ? c - 32 : c);
    }
    if (ascii) {
        key[len] = 0;
        *key_len = len;
    } else {
        PyObject *s = PyUnicode_DecodeUTF8((const char *)name, (Py_ssize_t)len, "replace");
        if (s == NULL)
            return -1;
        PyObject *u = PyObject_CallMethod(s, "upper", NULL);
        Py_DECREF(s);
        if (u == NULL)
            return -1;
        Py_ssize_t ulen;
        const char *utf8 = PyUnicode_AsUTF8AndSize(u, &ulen);
        if (utf8 == NULL) {
            Py_DECREF(u);
            return -1;
        }
        if ((size_t)ulen >= KEY_MAX) {
            *long_name = u;
            return 0;
        }
        memcpy(key, utf8, (size_t)ulen + 1);
        *key_len = (size_t)ulen;
        Py_DECREF(u);
    }
    *info = tag_lookup(key, *key_len);
    return 0;
}

static int on_open(Obs *o, lxb_node *el, const TagInfo *info, const char *key, size_t key_len,
                   PyObject *long_name)
{
    int special = info ? info->special : 0;
    if (special == S_TITLE) {
        o->in_title = true;
        return 0;
    }
    if (special == S_HEAD)
        o->in_head = true;
    else if (special == S_PRE)
        o->in_pre = true;
    else if (special == S_SVG)
        o->in_svg = true;
    else if (special == S_BODY)
        o->in_head = false;
    int flags = info ? info->flags : 0;
    if (flags & F_BLOCK)
        paragraph(o);
    else if (flags & F_INLINE)
        space(o);
    if (PyErr_Occurred())
        return -1;
    if (long_name != NULL) {
        Py_ssize_t n;
        const char *utf8 = PyUnicode_AsUTF8AndSize(long_name, &n);
        return utf8 ? extract(o, info, el, utf8, (size_t)n, long_name) : -1;
    }
    return extract(o, info, el, key, key_len, info ? info->pyname : NULL);
}

typedef struct {
    const TagInfo **d;
    Py_ssize_t n, cap;
} InfoStack;

static int info_push(InfoStack *s, const TagInfo *info)
{
    if (s->n == s->cap) {
        Py_ssize_t cap = s->cap ? s->cap * 2 : 64;
        const TagInfo **d = PyMem_Realloc(s->d, (size_t)cap * sizeof(*d));
        if (d == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->d = d;
        s->cap = cap;
    }
    s->d[s->n++] = info;
    return 0;
}

/* html_extract._walk: open, text and close events in document order, from the root element */
static int walk(Obs *o, lxb_doc *doc, lxb_node *root)
{
    InfoStack stack = {0};
    lxb_node *node = root;
    int rc = -1;
    char key[KEY_MAX];
    size_t key_len;
    for (;;) {
        int type = lx_type(node);
        if (type == NODE_TEXT) {
            if (on_text(o, node) < 0)
                goto done;
        } else if (type == NODE_ELEMENT) {
            const TagInfo *info;
            PyObject *long_name;
            if (tag_of(node, key, &key_len, &info, &long_name) < 0)
                goto done;
            int opened = on_open(o, node, info, key, key_len, long_name);
            Py_XDECREF(long_name);
            if (opened < 0)
                goto done;
            int flags = info ? info->flags : 0;
            if (flags & F_OPAQUE) {
                if (info->special == S_STYLE && on_style(o, doc, node) < 0)
                    goto done;
                if (obs_close(o, info) < 0)
                    goto done;
            } else {
                lxb_node *child = lx_first_child(node);
                if (child != NULL) {
                    if (info_push(&stack, info) < 0)
                        goto done;
                    node = child;
                    continue;
                }
                if (!(flags & F_VOID) && obs_close(o, info) < 0)
                    goto done;
            }
        }
        /* climb until a sibling is found, closing the elements left behind */
        for (;;) {
            if (stack.n == 0) {
                rc = 0;
                goto done;
            }
            lxb_node *sibling = lx_next(node);
            if (sibling != NULL) {
                node = sibling;
                break;
            }
            node = lx_parent(node);
            const TagInfo *info = stack.d[--stack.n];
            if (node == NULL) {
                PyErr_SetString(PyExc_RuntimeError, "lexbor tree: a node without parent");
                goto done;
            }
            if (!(info && (info->flags & F_VOID)) && obs_close(o, info) < 0)
                goto done;
        }
    }
done:
    PyMem_Free(stack.d);
    return rc;
}

static void obs_free(Obs *o)
{
    Py_XDECREF(o->meta);
    PyMem_Free(o->parts.d);
    PyMem_Free(o->title.d);
    PyMem_Free(o->scratch.d);
    PyMem_Free(o->attrs.a);
    for (Py_ssize_t i = 0; i < o->cap_anchors; i++) {
        Py_XDECREF(o->anchors[i].link);
        PyMem_Free(o->anchors[i].text.d);
    }
    PyMem_Free(o->anchors);
}

/* ---- module functions ---------------------------------------------------------------------- */

static PyObject *mod_extract(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_buffer view;
    if (!bound) {
        PyErr_SetString(PyExc_RuntimeError, "_lexborwalk: bind() first");
        return NULL;
    }
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Obs o;
    memset(&o, 0, sizeof o);
    PyObject *result = NULL;
    lxb_doc *doc = lx_doc_create();
    if (doc == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    lx_dom_opt_set(doc, 0);
    lx_scripting_set(doc, false);
    unsigned int status;
    Py_BEGIN_ALLOW_THREADS status = lx_doc_parse(doc, (const unsigned char *)view.buf, (size_t)view.len);
    Py_END_ALLOW_THREADS if (status != 0)
    {
        PyErr_Format(PyExc_RuntimeError, "lexbor could not parse the page (status %u)", status);
        goto done;
    }
    o.meta = PyDict_New();
    if (o.meta == NULL)
        goto done;
    lxb_node *root = lx_root(doc);
    if (root != NULL && walk(&o, doc, root) < 0)
        goto done;
    PyObject *text;
    if (o.parts.n) {
        text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, o.parts.d, o.parts.n);
        if (text == NULL)
            goto done;
    } else {
        text = Py_NewRef(Py_None);
    }
    result = PyTuple_Pack(2, o.meta, text);
    Py_DECREF(text);
done:
    if (doc != NULL)
        lx_doc_destroy(doc);
    obs_free(&o);
    PyBuffer_Release(&view);
    return result;
}

#define RESOLVE(var, sym)                                                                                  \
    do {                                                                                                   \
        *(void **)(&var) = dlsym(handle, sym);                                                             \
        if (var == NULL) {                                                                                 \
            PyErr_Format(PyExc_ImportError, "lexbor symbol %s not found in %s", sym, path);                \
            return NULL;                                                                                   \
        }                                                                                                  \
    } while (0)

static PyObject *mod_bind(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path;
    PyObject *url_value, *trim_data_url, *unescape, *style_links, *onclick_urls;
    if (!PyArg_ParseTuple(args, "sOOOOO", &path, &url_value, &trim_data_url, &unescape, &style_links,
                          &onclick_urls))
        return NULL;
    void *handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (handle == NULL)
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        PyErr_Format(PyExc_ImportError, "cannot open %s: %s", path, dlerror());
        return NULL;
    }
    RESOLVE(lx_doc_create, "lxb_html_document_create");
    RESOLVE(lx_doc_parse, "lxb_html_document_parse");
    RESOLVE(lx_doc_destroy, "lxb_html_document_destroy");
    RESOLVE(lx_dom_opt_set, "lxb_html_document_dom_opt_set_noi");
    RESOLVE(lx_scripting_set, "lxb_dom_document_scripting_set_noi");
    RESOLVE(lx_root, "lxb_dom_document_root");
    RESOLVE(lx_first_child, "lxb_dom_node_first_child_noi");
    RESOLVE(lx_next, "lxb_dom_node_next_noi");
    RESOLVE(lx_parent, "lxb_dom_node_parent_noi");
    RESOLVE(lx_type, "lxb_dom_node_type_noi");
    RESOLVE(lx_element_name, "lxb_dom_element_qualified_name");
    RESOLVE(lx_first_attr, "lxb_dom_element_first_attribute_noi");
    RESOLVE(lx_next_attr, "lxb_dom_element_next_attribute_noi");
    RESOLVE(lx_attr_name, "lxb_dom_attr_qualified_name");
    RESOLVE(lx_attr_value, "lxb_dom_attr_value_noi");
    RESOLVE(lx_text_content, "lxb_dom_node_text_content");
    RESOLVE(lx_destroy_text, "lxb_dom_document_destroy_text_noi");
    Py_XSETREF(py_url_value, Py_NewRef(url_value));
    Py_XSETREF(py_trim_data_url, Py_NewRef(trim_data_url));
    Py_XSETREF(py_unescape, Py_NewRef(unescape));
    Py_XSETREF(py_style_links, Py_NewRef(style_links));
    Py_XSETREF(py_onclick_urls, Py_NewRef(onclick_urls));
    for (size_t i = 0; i < NTAGS; i++) {
        if (TAGS[i].pyname == NULL) {
            TAGS[i].pyname = PyUnicode_InternFromString(TAGS[i].name);
            if (TAGS[i].pyname == NULL)
                return NULL;
        }
        if (i && strcmp(TAGS[i - 1].name, TAGS[i].name) >= 0) {
            PyErr_Format(PyExc_SystemError, "_lexborwalk: tag table out of order at %s", TAGS[i].name);
            return NULL;
        }
    }
    tag_index_init();
    bound = true;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", mod_bind, METH_VARARGS,
     "bind(lexbor_so_path, url_value, trim_data_url, unescape, style_links, onclick_urls): resolve "
     "lexbor's functions in selectolax's extension module and take html_extract's helpers."},
    {"extract", mod_extract, METH_O,
     "extract(html: bytes (UTF-8)) -> (HTML-Metadata dict, text or None): html_extract's walk."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_lexborwalk", "The WAT/WET HTML walk over lexbor's DOM, in C.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__lexborwalk(void)
{
#define KEY(var, s)                                                                                        \
    if ((var = PyUnicode_InternFromString(s)) == NULL)                                                     \
        return NULL;
    KEY(k_path, "path");
    KEY(k_url, "url");
    KEY(k_text, "text");
    KEY(k_head, "Head");
    KEY(k_links, "Links");
    KEY(k_title, "Title");
    KEY(k_base, "Base");
    KEY(k_metas, "Metas");
    KEY(k_link, "Link");
    KEY(k_scripts, "Scripts");
    KEY(k_name, "name");
    KEY(k_content, "content");
    for (int id = 1; id < N_AT; id++)
        KEY(ATTR_NAMES[id].py, ATTR_NAMES[id].name);
#undef KEY
    at_index_init();
    return PyModule_Create(&module);
}
