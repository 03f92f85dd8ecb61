/* equations viewer: proof trees, search hypergraphs, record tables and run directories.
 * Our own code, no dependencies, no network access except the loopback server's /api/run in --serve pages.
 * Text from the data is only ever inserted with textContent or as MathML built node by node (never as HTML).
 */
(function () {
  "use strict";
  var MML = "http://www.w3.org/1998/Math/MathML";
  var SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    if (kids) for (var i = 0; i < kids.length; i++) if (kids[i] != null) e.appendChild(typeof kids[i] === "string" ? document.createTextNode(kids[i]) : kids[i]);
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(digits === undefined ? 3 : digits);
    return String(v);
  }

  /* ---------------------------------------------------------------------------------------------
   * LaTeX -> MathML, for exactly the LaTeX that equations.printing.to_latex writes: \frac, \sqrt,
   * \left( \right), \left| \right|, ^{...}, _, \cdot, \bmod, comparison commands, \implies, \pi, Greek
   * letters, \mathrm{...}, \operatorname{...} and the function names (\exp, \ln, \sin, ...).
   * ------------------------------------------------------------------------------------------- */
  var SYMBOLS = {
    cdot: "\u22c5", neq: "\u2260", leq: "\u2264", geq: "\u2265", mid: "\u2223", implies: "\u27f9", pi: "\u03c0",
    alpha: "\u03b1", beta: "\u03b2", gamma: "\u03b3", delta: "\u03b4", theta: "\u03b8", phi: "\u03c6",
    psi: "\u03c8", omega: "\u03c9", lambda: "\u03bb", mu: "\u03bc", bmod: "mod"
  };
  var FUNCS = { exp: 1, ln: 1, sin: 1, cos: 1, tan: 1, arcsin: 1, arccos: 1, arctan: 1, sinh: 1, cosh: 1, tanh: 1, gcd: 1, log: 1 };
  var OPERATORS = { cdot: 1, neq: 1, leq: 1, geq: 1, mid: 1, implies: 1, bmod: 1 };

  function mnode(tag, text, kids) {
    var e = document.createElementNS(MML, tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (kids) for (var i = 0; i < kids.length; i++) e.appendChild(kids[i]);
    return e;
  }
  function mrow(items) { return items.length === 1 ? items[0] : mnode("mrow", null, items); }

  function texToMathML(tex) {
    var i = 0, n = tex.length;
    function skip() { while (i < n && tex[i] === " ") i++; }
    function command() { // at a backslash: the command name (letters, or one other character)
      i++;
      var s = i;
      while (i < n && /[A-Za-z]/.test(tex[i])) i++;
      if (i === s) i++;
      return tex.slice(s, i);
    }
    function rawGroup() { skip(); if (tex[i] !== "{") return ""; var s = ++i; while (i < n && tex[i] !== "}") i++; var r = tex.slice(s, i); i++; return r; }
    function delimiter() {
      skip();
      if (tex[i] === "\\") { var c = command(); return c === "{" ? "{" : c === "}" ? "}" : c === "|" ? "\u2016" : ""; }
      if (tex[i] === ".") { i++; return ""; }
      return tex[i++] || "";
    }
    function arg() {
      skip();
      if (tex[i] === "{") { i++; var items = seq(); if (tex[i] === "}") i++; return mrow(items); }
      var one = atom();
      return one || mnode("mrow");
    }
    function atom() { // one item, or null at a closing brace / \right / the end
      skip();
      if (i >= n || tex[i] === "}") return null;
      var c = tex[i];
      if (c === "{") { i++; var items = seq(); if (tex[i] === "}") i++; return mrow(items); }
      if (/[0-9]/.test(c)) { var s = i; while (i < n && /[0-9.]/.test(tex[i])) i++; return mnode("mn", tex.slice(s, i)); }
      if (/[A-Za-z]/.test(c)) { i++; return mnode("mi", c); }
      if (c === "\\") {
        var save = i, name = command();
        if (name === "right") { i = save; return null; }
        if (name === "frac") { var a = arg(), b = arg(); return mnode("mfrac", null, [a, b]); }
        if (name === "sqrt") return mnode("msqrt", null, [arg()]);
        if (name === "left") {
          var open = delimiter(), inner = seq(), close = "";
          if (tex.slice(i, i + 6) === "\\right") { i += 6; close = delimiter(); }
          var parts = [];
          if (open) parts.push(fence(open));
          parts = parts.concat(inner);
          if (close) parts.push(fence(close));
          return mnode("mrow", null, parts);
        }
        if (name === "mathrm") { var m = mnode("mi", rawGroup()); m.setAttribute("mathvariant", "normal"); return m; }
        if (name === "operatorname") return fn(rawGroup());
        if (FUNCS[name]) return fn(name);
        if (OPERATORS[name]) return mnode("mo", SYMBOLS[name]);
        if (SYMBOLS[name]) return mnode("mi", SYMBOLS[name]);
        if (name === "," || name === ";" || name === " ") return mnode("mspace");
        return mnode("mi", "\\" + name);
      }
      i++;
      return mnode("mo", c === "-" ? "\u2212" : c);
    }
    function fence(d) { var f = mnode("mo", d); f.setAttribute("fence", "true"); f.setAttribute("stretchy", "true"); return f; }
    function fn(name) { // a function name followed by the invisible function-application operator
      var r = mnode("mrow", null, [mnode("mi", name), mnode("mo", "\u2061")]);
      return r;
    }
    function seq() {
      var items = [];
      for (;;) {
        skip();
        if (i >= n) break;
        if (tex[i] === "^" || tex[i] === "_") {
          var sup = tex[i] === "^"; i++;
          var base = items.length ? items.pop() : mnode("mrow");
          var script = arg();
          items.push(mnode(sup ? "msup" : "msub", null, [base, script]));
          continue;
        }
        var a = atom();
        if (a === null) break;
        items.push(a);
      }
      return items;
    }
    var math = mnode("math", null, [mrow(seq())]);
    math.setAttribute("display", "inline");
    return math;
  }

  function mathOf(tex, text) { // MathML when LaTeX is known, else the infix text
    if (tex) { try { return texToMathML(tex); } catch (err) { /* fall through to text */ } }
    return el("code", { text: text == null ? "?" : text });
  }

  /* ---------------------------------------------------------------------------------------------
   * Proof tree: goals with the tactic on each edge, collapsible subtrees, size and depth.
   * ------------------------------------------------------------------------------------------- */
  function proofView(box, T) {
    box.textContent = "";
    box.appendChild(el("div", { cls: "theorem" }, [mathOf(T.tex, T.theorem)]));
    var verdict;
    if (T.root === null) {
      verdict = T.closed ? el("span", { cls: "ok", text: "closes automatically (" + T.closed + "): no step needed" })
                         : el("span", { cls: "bad", text: "no proof" });
    } else if (!T.replayed) {
      verdict = el("span", { text: "not replayed" });
    } else {
      verdict = T.checked ? el("span", { cls: "ok", text: "\u2713 checks" }) : el("span", { cls: "bad", text: "\u2717 does not check" });
    }
    var over = { nat: " \u00b7 over \u2115", "int": " \u00b7 over \u2124" }[T.domain] || "";
    box.appendChild(el("div", { cls: "stats" }, [verdict, T.root === null ? over : " \u00b7 size " + T.size + " \u00b7 depth " + T.depth + " \u00b7 " + T.nodes.length + " goals" + over]));
    if (T.note) box.appendChild(el("div", { cls: "note", text: T.note }));
    if (T.root === null) return;
    var nodes = T.nodes, built = new Array(nodes.length);
    var depthOf = new Int32Array(nodes.length);
    for (var k = 0; k < nodes.length; k++) for (var j = 0; j < nodes[k].kids.length; j++) depthOf[nodes[k].kids[j]] = depthOf[k] + 1;
    var openAll = nodes.length <= 600;
    var ul = el("ul", { cls: "ptree" });
    function build(k) {
      var nd = nodes[k];
      var cls = "pnode" + (nd.closed ? " closed" : "") + (nd.error ? " error" : "");
      var tog = el("button", { cls: "tog" + (nd.kids.length ? "" : " leaf"), title: "expand / collapse", "aria-expanded": "true", text: "\u25be" });
      var row = el("div", { cls: "prow" }, [tog, el("span", { cls: "goal" }, [mathOf(nd.tex, nd.goal)])]);
      if (nd.tactic !== null) row.appendChild(el("span", { cls: "meta", text: "size " + nd.size + " \u00b7 depth " + nd.depth }));
      if (nd.closed) row.appendChild(el("span", { cls: "badge", text: "closed: " + nd.closed }));
      if (nd.error) row.appendChild(el("span", { cls: "badge err", text: nd.error }));
      var li = el("li", { cls: cls, "data-k": k }, [row]);
      if (nd.tactic !== null) li.appendChild(el("div", { cls: "edge" }, ["by ", el("code", { text: nd.tactic }), nd.kids.length ? " \u2192 " + nd.kids.length + " subgoal" + (nd.kids.length > 1 ? "s" : "") : " \u2192 no subgoal"]));
      built[k] = li;
      if (nd.kids.length) {
        tog.addEventListener("click", function () { setOpen(k, li.classList.contains("collapsed")); });
        if (openAll || depthOf[k] < 6) fill(k); else { li.classList.add("collapsed"); tog.textContent = "\u25b8"; tog.setAttribute("aria-expanded", "false"); }
      }
      return li;
    }
    function fill(k) {
      var li = built[k];
      if (li.querySelector(":scope > ul.kids")) return;
      var kids = el("ul", { cls: "kids" });
      for (var j = 0; j < nodes[k].kids.length; j++) kids.appendChild(build(nodes[k].kids[j]));
      li.appendChild(kids);
    }
    function setOpen(k, open) {
      var li = built[k], tog = li.querySelector(":scope > .prow > .tog");
      if (open) fill(k);
      li.classList.toggle("collapsed", !open);
      tog.textContent = open ? "\u25be" : "\u25b8";
      tog.setAttribute("aria-expanded", open ? "true" : "false");
    }
    function all(open) {
      if (!open) { for (var k = 0; k < nodes.length; k++) if (built[k] && nodes[k].kids.length) setOpen(k, false); return; }
      for (var more = true; more;) { // lazily built: opening a node builds its children, which may be collapsed
        more = false;
        box.querySelectorAll("li.pnode.collapsed").forEach(function (li) { setOpen(+li.getAttribute("data-k"), true); more = true; });
      }
    }
    box.appendChild(el("div", { cls: "toolbar" }, [
      el("button", { cls: "expand-all", text: "expand all", onclick: function () { all(true); } }),
      el("button", { cls: "collapse-all", text: "collapse all", onclick: function () { all(false); } })
    ]));
    ul.appendChild(build(T.root));
    box.appendChild(ul);
  }

  /* ---------------------------------------------------------------------------------------------
   * Search hypergraph: goal nodes coloured by status, tactic hyperedges as junctions, the minimal proof
   * highlighted. Drawn lazily: breadth-first from the root, at most `cap` nodes, the top K tactics per
   * node, down to a depth; what is left out is aggregated into "+k" boxes that open on a click.
   * ------------------------------------------------------------------------------------------- */
  function searchView(box, P) {
    var nf = {}, ef = {};
    P.node_fields.forEach(function (f, k) { nf[f] = k; });
    P.edge_fields.forEach(function (f, k) { ef[f] = k; });
    var NODES = P.nodes, EDGES = P.edges, N = NODES.length, M = EDGES.length, TEX = P.tex || {};
    function col(row, map, f, dflt) { return map[f] === undefined ? dflt : row[map[f]]; }
    // edges of each node (compressed rows) and the distinct open children of each edge
    var start = new Int32Array(N + 1), order = new Int32Array(M), kids = new Array(M);
    for (var e = 0; e < M; e++) start[EDGES[e][ef.node] + 1]++;
    for (var v = 0; v < N; v++) start[v + 1] += start[v];
    var fillp = start.slice(0, N);
    for (e = 0; e < M; e++) {
      order[fillp[EDGES[e][ef.node]]++] = e;
      var seen = [], subs = EDGES[e][ef.subgoals];
      for (var s = 0; s < subs.length; s++) if (subs[s] !== null && seen.indexOf(subs[s]) < 0) seen.push(subs[s]);
      kids[e] = seen;
    }
    var depth = new Int32Array(N).fill(-1), queue = new Int32Array(N), qh = 0, qt = 0, maxDepth = 0;
    depth[P.root] = 0; queue[qt++] = P.root;
    while (qh < qt) {
      var u = queue[qh++];
      for (var t = start[u]; t < start[u + 1]; t++) {
        var ks = kids[order[t]];
        for (s = 0; s < ks.length; s++) if (depth[ks[s]] < 0) { depth[ks[s]] = depth[u] + 1; if (depth[u] + 1 > maxDepth) maxDepth = depth[u] + 1; queue[qt++] = ks[s]; }
      }
    }
    var counts = { solved: 0, invalid: 0, open: 0 };
    for (v = 0; v < N; v++) counts[col(NODES[v], nf, "status", "open")] = (counts[col(NODES[v], nf, "status", "open")] || 0) + 1;
    var sorted = new Array(N);
    function edgesOf(v) { // minimal proof first, then most visited, then highest prior
      if (sorted[v]) return sorted[v];
      var list = [];
      for (var t = start[v]; t < start[v + 1]; t++) list.push(order[t]);
      list.sort(function (a, b) {
        var A = EDGES[a], B = EDGES[b];
        return (col(B, ef, "minimal", false) - col(A, ef, "minimal", false)) || (col(B, ef, "visits", 0) - col(A, ef, "visits", 0)) ||
               (col(B, ef, "prior", 0) - col(A, ef, "prior", 0)) || (a - b);
      });
      return (sorted[v] = list);
    }
    var small = N <= 1500;
    var st = { depth: small ? maxDepth : Math.min(maxDepth, 4), k: 6, cap: 1500, proofOnly: false, shared: small,
               collapsed: new Set(), opened: new Set(), all: new Set() };

    // header, controls, legend
    box.textContent = "";
    box.appendChild(el("div", { cls: "theorem" }, [mathOf(P.theorem_tex, P.theorem)]));
    var S = P.stats || {};
    box.appendChild(el("div", { cls: "stats" }, [
      P.proved ? el("span", { cls: "ok", text: "proved" }) : el("span", { cls: "bad", text: "not proved" }),
      " \u00b7 " + N + " nodes, " + M + " tactics, " + fmt(S.expansions) + " expansions, " + fmt(S.simulations) + " simulations, " +
      fmt(S.seconds, 2) + " s \u00b7 rules " + fmt(P.rules) + (S.solved_at != null ? " \u00b7 first proof after " + S.solved_at + " expansions" : "")]));
    var legend = el("span", { cls: "legend" });
    [["solved", "var(--solved)"], ["invalid", "var(--invalid)"], ["open", "var(--open)"]].forEach(function (p) {
      legend.appendChild(el("span", null, [el("i", { style: "background:" + p[1] }), p[0] + " " + (counts[p[0]] || 0)]));
    });
    legend.appendChild(el("span", null, [el("i", { style: "background:#fff;border:3px solid var(--minimal);width:11px;height:11px" }), "minimal proof"]));
    var depthIn = el("input", { type: "range", min: "1", max: String(Math.max(1, maxDepth)), value: String(Math.max(1, st.depth)), id: "depth" });
    var depthOut = el("span", { cls: "mono", id: "depth-value", text: String(st.depth) });
    var kIn = el("input", { type: "number", min: "0", value: String(st.k), id: "topk", style: "width:60px" });
    var capIn = el("input", { type: "number", min: "10", step: "100", value: String(st.cap), id: "cap", style: "width:80px" });
    var proofIn = el("input", { type: "checkbox", id: "proof-only" });
    var sharedIn = el("input", { type: "checkbox", id: "shared" });
    sharedIn.checked = st.shared;
    box.appendChild(el("div", { cls: "toolbar" }, [
      el("label", null, ["depth \u2264", depthIn, depthOut, "of " + maxDepth]),
      el("label", null, ["tactics per node (0: all)", kIn]),
      el("label", null, ["at most", capIn, "nodes"]),
      el("label", null, [proofIn, "minimal proof only"]),
      el("label", { title: "dashed: a tactic whose subgoal is drawn elsewhere (goals are shared)" }, [sharedIn, "shared-subgoal links"]),
      el("button", { id: "fit", text: "fit", onclick: function () { fit(); } }),
      legend
    ]));
    var status = el("div", { cls: "stats", id: "search-status" });
    box.appendChild(status);
    var svg = document.createElementNS(SVGNS, "svg");
    svg.setAttribute("id", "graph");
    var vp = document.createElementNS(SVGNS, "g");
    vp.setAttribute("class", "viewport");
    svg.appendChild(vp);
    box.appendChild(el("div", { cls: "graphbox" }, [svg]));
    box.appendChild(el("div", { cls: "stats", text: "Hover a node or a tactic (small square) for its statistics; click a node to collapse or expand its subtree, a \u201c+k\u201d box to open what it aggregates; drag to pan, wheel to zoom." }));
    if (P.tree) {
      box.appendChild(el("h2", { text: "Minimal proof" }));
      var pv = el("div", { cls: "detail", id: "minimal-proof" });
      box.appendChild(pv);
      proofView(pv, P.tree);
    }

    var DX = 22, DY = 64, items, bounds;
    function layout() {
      items = [];
      var placed = new Int32Array(N).fill(-1), q = [], drawn = 0, aggregated = 0;
      function add(it) { items.push(it); return items.length - 1; }
      placed[P.root] = add({ t: "n", v: P.root, d: 0, ch: [] }); drawn = 1; q.push(placed[P.root]);
      for (var h = 0; h < q.length; h++) {
        var it = items[q[h]], v = it.v, es = edgesOf(v);
        if (!es.length) continue;
        var shown;
        if (st.proofOnly) shown = es.filter(function (e) { return col(EDGES[e], ef, "minimal", false); });
        else if (st.collapsed.has(v)) shown = [];
        else if (it.d >= st.depth && !st.opened.has(v)) shown = [];
        else if (st.k <= 0 || st.all.has(v)) shown = es;
        else shown = es.filter(function (e, r) { return r < st.k || col(EDGES[e], ef, "minimal", false); });
        var capped = 0;
        for (var a = 0; a < shown.length; a++) {
          if (drawn >= st.cap || items.length >= 3 * st.cap) { capped = shown.length - a; break; } // the budget
          var e = shown[a], j = { t: "j", e: e, d: it.d, ch: [], cross: [], more: 0 }, ji = add(j);
          it.ch.push(ji);
          var ks = kids[e];
          for (var b = 0; b < ks.length; b++) {
            var c = ks[b];
            if (placed[c] >= 0) j.cross.push(placed[c]);
            else if (drawn >= st.cap) j.more++;
            else { placed[c] = add({ t: "n", v: c, d: it.d + 1, ch: [] }); drawn++; j.ch.push(placed[c]); q.push(placed[c]); }
          }
          aggregated += j.more;
        }
        var hidden = es.length - shown.length + capped;
        if (hidden > 0 && (!st.proofOnly || capped)) {
          var why = capped ? "cap" : st.collapsed.has(v) ? "collapsed" : shown.length === 0 ? "depth" : "tactics";
          it.ch.push(add({ t: "a", v: v, d: it.d, k: hidden, why: why, ch: [] }));
          aggregated += hidden;
        }
        if (st.collapsed.has(v)) it.collapsed = true;
      }
      // x: leaves in depth-first order; a parent centred over its first and last child, or, when the drawing
      // is too wide to read whole, above its first child (the minimal proof, drawn first, is then a straight
      // line down the left side, next to the root)
      var slot = 0, stack = [[0, 0]];
      while (stack.length) {
        var top = stack[stack.length - 1], node = items[top[0]];
        if (top[1] < node.ch.length) { stack.push([node.ch[top[1]++], 0]); continue; }
        stack.pop();
        if (!node.ch.length) { node.x = slot * DX + (node.t === "a" ? 10 : 0); slot += node.t === "a" ? 2 : 1; }
        node.y = node.t === "n" ? node.d * DY : node.d * DY + DY / 2;
      }
      var wide = slot * DX * 0.6 > (svg.clientWidth || 1000) - 40;
      for (var r = items.length - 1; r >= 0; r--) { // children come after their parent
        var ch = items[r].ch;
        if (ch.length) items[r].x = wide ? items[ch[0]].x : (items[ch[0]].x + items[ch[ch.length - 1]].x) / 2;
      }
      bounds = { w: Math.max(1, slot * DX), h: (st.depth + 1) * DY };
      return { drawn: drawn, aggregated: aggregated };
    }
    function draw() {
      var res = layout(), links = [], shapes = [];
      for (var a = 0; a < items.length; a++) {
        var it = items[a];
        if (it.t === "n") {
          var row = NODES[it.v], cls = "node " + col(row, nf, "status", "open") + (col(row, nf, "minimal", false) ? " min" : "") + (it.collapsed ? " collapsed" : "");
          shapes.push('<g class="' + cls + '" data-n="' + it.v + '" transform="translate(' + it.x + "," + it.y + ')"><circle r="7"></circle></g>');
          for (var b = 0; b < it.ch.length; b++) {
            var c = items[it.ch[b]];
            var minimal = c.t === "j" && col(EDGES[c.e], ef, "minimal", false);
            links.push('<path class="link' + (minimal ? " min" : c.t === "a" ? " agg" : "") + '" d="M' + it.x + "," + it.y + "L" + c.x + "," + c.y + '"></path>');
          }
        } else if (it.t === "j") {
          var erow = EDGES[it.e], emin = col(erow, ef, "minimal", false);
          shapes.push('<rect class="tac' + (emin ? " min" : "") + (col(erow, ef, "killed", false) ? " killed" : "") + '" data-e="' + it.e + '" x="' + (it.x - 3.5) + '" y="' + (it.y - 3.5) + '" width="7" height="7"></rect>');
          for (b = 0; b < it.ch.length; b++) { c = items[it.ch[b]]; links.push('<path class="link' + (emin ? " min" : "") + '" d="M' + it.x + "," + it.y + "L" + c.x + "," + c.y + '"></path>'); }
          for (b = 0; b < (st.shared || emin ? it.cross.length : 0); b++) { c = items[it.cross[b]]; links.push('<path class="link cross' + (emin ? " min" : "") + '" d="M' + it.x + "," + it.y + "L" + c.x + "," + c.y + '"></path>'); }
          if (it.more) shapes.push('<text class="more" x="' + (it.x + 6) + '" y="' + (it.y + 12) + '">+' + it.more + "</text>");
        } else {
          shapes.push('<g class="agg" data-a="' + a + '" transform="translate(' + (it.x - 17) + "," + (it.y - 8) + ')"><rect width="34" height="16" rx="4"></rect><text x="17" y="11.5" text-anchor="middle">+' + it.k + "</text></g>");
        }
      }
      vp.innerHTML = links.join("") + shapes.join(""); // numbers and class names only: no text from the data
      svg.setAttribute("data-nodes", String(res.drawn));
      status.textContent = "showing " + res.drawn + " of " + N + " nodes (depth \u2264 " + st.depth + (st.k > 0 ? ", top " + st.k + " tactics per node" : "") +
        (st.proofOnly ? ", minimal proof only" : "") + ")" + (res.aggregated ? "; " + res.aggregated + " tactics or subgoals aggregated" : "");
      document.body.setAttribute("data-ready", "1");
    }

    // pan and zoom
    var view = { x: 20, y: 24, s: 1 };
    function apply() { vp.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.s + ")"); }
    function fit(readable) { // the whole drawing; `readable`: at a scale where nodes stay visible (0.6 to 1)
      var W = svg.clientWidth || 1000, H = svg.clientHeight || 560;
      view.s = Math.min(2, Math.max(0.02, Math.min((W - 40) / bounds.w, (H - 48) / bounds.h)));
      view.x = (W - bounds.w * view.s) / 2; view.y = 24;
      if (readable && view.s < 0.6) {
        // too wide: the left part, where the minimal proof is (its tactics are drawn first at every node)
        view.s = Math.min(1, Math.max(0.6, (H - 48) / bounds.h));
        view.x = 20;
      }
      apply();
    }
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = svg.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top, f = Math.exp(-ev.deltaY * 0.0015);
      var ns = Math.min(8, Math.max(0.01, view.s * f));
      view.x = mx - (mx - view.x) * ns / view.s; view.y = my - (my - view.y) * ns / view.s; view.s = ns; apply();
    }, { passive: false });
    var drag = null;
    svg.addEventListener("mousedown", function (ev) { if (ev.target === svg || ev.target.classList.contains("link")) { drag = { x: ev.clientX - view.x, y: ev.clientY - view.y }; svg.classList.add("dragging"); } });
    window.addEventListener("mousemove", function (ev) { if (drag) { view.x = ev.clientX - drag.x; view.y = ev.clientY - drag.y; apply(); } });
    window.addEventListener("mouseup", function () { drag = null; svg.classList.remove("dragging"); });

    // hover and click
    var tip = document.getElementById("tip");
    function show(ev, content) { tip.textContent = ""; tip.appendChild(content); tip.hidden = false; place(ev); }
    function place(ev) { var x = ev.clientX + 14, y = ev.clientY + 14, w = tip.offsetWidth, h = tip.offsetHeight; if (x + w > innerWidth - 8) x = ev.clientX - w - 14; if (y + h > innerHeight - 8) y = ev.clientY - h - 14; tip.style.left = Math.max(4, x) + "px"; tip.style.top = Math.max(4, y) + "px"; }
    function table(rows) { return el("table", null, rows.map(function (r) { return el("tr", null, [el("td", { text: r[0] }), el("td", { cls: "mono", text: r[1] })]); })); }
    function nodeTip(v) {
      var row = NODES[v], nexp = start[v + 1] - start[v];
      return el("div", null, [
        el("strong", { text: col(row, nf, "status", "open") + (col(row, nf, "minimal", false) ? " \u00b7 on the minimal proof" : "") }),
        el("div", { cls: "g" }, [mathOf(TEX[v], col(row, nf, "goal", "?"))]),
        table([["visits N", fmt(col(row, nf, "visits", null))], ["value (critic)", fmt(col(row, nf, "value", null))],
               ["depth", String(depth[v])], ["tactics", col(row, nf, "expanded", false) ? String(nexp) : "not expanded"], ["node", "#" + v]])]);
    }
    function edgeTip(e) {
      var row = EDGES[e], subs = row[ef.subgoals], closed = subs.filter(function (x) { return x === null; }).length;
      return el("div", null, [
        el("code", { text: row[ef.tactic] }),
        table([["prior", fmt(col(row, ef, "prior", null))], ["visits N", fmt(col(row, ef, "visits", null))], ["Q = W/N", fmt(col(row, ef, "q", null))],
               ["subgoals", subs.length + (closed ? " (" + closed + " closed automatically)" : "")], ["killed (cycle)", col(row, ef, "killed", false) ? "yes" : "no"],
               ["minimal proof", col(row, ef, "minimal", false) ? "yes" : "no"]])]);
    }
    function target(ev) { var t = ev.target; while (t && t !== svg) { if (t.getAttribute && (t.hasAttribute("data-n") || t.hasAttribute("data-e") || t.hasAttribute("data-a"))) return t; t = t.parentNode; } return null; }
    svg.addEventListener("mouseover", function (ev) {
      var t = target(ev);
      if (!t) { tip.hidden = true; return; }
      if (t.hasAttribute("data-n")) show(ev, nodeTip(+t.getAttribute("data-n")));
      else if (t.hasAttribute("data-e")) show(ev, edgeTip(+t.getAttribute("data-e")));
      else {
        var it = items[+t.getAttribute("data-a")];
        var why = { depth: "below the depth limit", collapsed: "collapsed", cap: "beyond the drawing budget of " + st.cap + " nodes", tactics: "not among the top " + st.k };
        show(ev, el("div", { text: it.k + " tactics " + why[it.why] + ": click to " + (it.why === "cap" ? "raise the budget" : "show them") }));
      }
    });
    svg.addEventListener("mousemove", function (ev) { if (!tip.hidden) place(ev); });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
    svg.addEventListener("click", function (ev) {
      var t = target(ev);
      if (!t) return;
      if (t.hasAttribute("data-n")) { var v = +t.getAttribute("data-n"); if (st.collapsed.has(v)) st.collapsed.delete(v); else st.collapsed.add(v); }
      else if (t.hasAttribute("data-a")) { var it = items[+t.getAttribute("data-a")]; if (it.why === "collapsed") st.collapsed.delete(it.v); else if (it.why === "depth") st.opened.add(it.v); else if (it.why === "cap") { st.cap += 500; capIn.value = String(st.cap); } else st.all.add(it.v); }
      else return;
      tip.hidden = true;
      draw();
    });
    depthIn.addEventListener("input", function () { st.depth = +depthIn.value; depthOut.textContent = depthIn.value; st.opened.clear(); draw(); fit(); });
    kIn.addEventListener("change", function () { st.k = Math.max(0, +kIn.value | 0); draw(); fit(); });
    capIn.addEventListener("change", function () { st.cap = Math.max(10, +capIn.value | 0); draw(); fit(); });
    proofIn.addEventListener("change", function () { st.proofOnly = proofIn.checked; draw(); fit(); });
    sharedIn.addEventListener("change", function () { st.shared = sharedIn.checked; draw(); });
    draw();
    fit(true);
  }

  /* ---------------------------------------------------------------------------------------------
   * Records (a dataset folder, a JSONL of proof records): a filterable, sortable, paged table; a click
   * shows the record's proof tree.
   * ------------------------------------------------------------------------------------------- */
  function recordsView(box, P) {
    var rows = P.rows, shown = rows.slice(), pageSize = 100, pageNo = 0, sortKey = null, sortDir = 1, selected = -1;
    box.textContent = "";
    var proved = rows.filter(function (r) { return r.proved; }).length;
    box.appendChild(el("div", { cls: "stats", text: rows.length + " records" + (P.total > rows.length ? " shown of " + P.total + " (use --limit to show more)" : "") + ", " + proved + " with a proof" }));
    var filter = el("input", { type: "search", id: "filter", placeholder: "filter: id, theorem, rule, source", style: "width:320px" });
    var count = el("span", { cls: "stats" });
    var prev = el("button", { text: "\u2190 previous" }), next = el("button", { text: "next \u2192" }), pageInfo = el("span", { cls: "stats" });
    box.appendChild(el("div", { cls: "toolbar" }, [filter, count, prev, pageInfo, next]));
    var cols = [["id", "id"], ["theorem", "theorem"], ["proved", "proved"], ["size", "size"], ["depth", "depth"], ["source", "source"], ["rules", "rules"]];
    var thead = el("tr", null, cols.map(function (c) { return el("th", { text: c[1], "data-key": c[0] }); }));
    var tbody = el("tbody");
    var detail = el("div", { cls: "detail", id: "detail" }, [el("div", { cls: "stats", text: "Click a record to see its proof." })]);
    box.appendChild(el("div", { cls: "split" }, [el("div", null, [el("table", { cls: "grid", id: "records" }, [el("thead", null, [thead]), tbody])]), detail]));
    function cell(r, k) { var v = r[k]; return k === "proved" ? (v ? "\u2713" : "\u2717") : v == null ? "" : String(v); }
    function render() {
      tbody.textContent = "";
      var pages = Math.max(1, Math.ceil(shown.length / pageSize));
      pageNo = Math.min(pageNo, pages - 1);
      for (var a = pageNo * pageSize; a < Math.min(shown.length, (pageNo + 1) * pageSize); a++) {
        (function (r) {
          var tr = el("tr", { "data-row": r.index, cls: r.index === selected ? "sel" : "" }, cols.map(function (c) { return el("td", { cls: c[0] === "theorem" ? "thm" : "", text: cell(r, c[0]), title: c[0] === "theorem" ? r.theorem : "" }); }));
          tr.addEventListener("click", function () { select(r.index); });
          tbody.appendChild(tr);
        })(shown[a]);
      }
      count.textContent = shown.length + " matching";
      pageInfo.textContent = "page " + (pageNo + 1) + " of " + pages;
      prev.disabled = pageNo === 0; next.disabled = pageNo >= pages - 1;
    }
    function select(idx) {
      selected = idx;
      tbody.querySelectorAll("tr").forEach(function (tr) { tr.classList.toggle("sel", +tr.getAttribute("data-row") === idx); });
      var r = rows[idx];
      detail.textContent = "";
      detail.appendChild(el("h2", { text: r.id }));
      if (r.error) detail.appendChild(el("div", { cls: "note", text: r.error }));
      if (r.tree) { var pv = el("div"); detail.appendChild(pv); proofView(pv, r.tree); }
      else detail.appendChild(el("div", { cls: "stats", text: "no proof in this record" }));
      var extra = Object.keys(r.meta || {});
      if (extra.length) detail.appendChild(el("table", { cls: "grid" }, extra.map(function (k) { return el("tr", null, [el("td", { text: k }), el("td", { cls: "mono", text: typeof r.meta[k] === "object" ? JSON.stringify(r.meta[k]) : String(r.meta[k]) })]); })));
    }
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase();
      shown = rows.filter(function (r) { return !q || (r.id + " " + r.theorem + " " + (r.source || "") + " " + (r.rules_used || []).join(" ")).toLowerCase().indexOf(q) >= 0; });
      pageNo = 0; render();
    });
    thead.addEventListener("click", function (ev) {
      var k = ev.target.getAttribute("data-key");
      if (!k) return;
      sortDir = sortKey === k ? -sortDir : 1; sortKey = k;
      shown.sort(function (a, b) { var x = a[k], y = b[k]; if (x == null) return 1; if (y == null) return -1; return (x < y ? -1 : x > y ? 1 : 0) * sortDir; });
      render();
    });
    prev.addEventListener("click", function () { pageNo--; render(); });
    next.addEventListener("click", function () { pageNo++; render(); });
    render();
    if (rows.length === 1) select(0);
    document.body.setAttribute("data-ready", "1");
  }

  /* ---------------------------------------------------------------------------------------------
   * Run directory (served live): the proved-fraction curve from metrics.jsonl and the files to open.
   * ------------------------------------------------------------------------------------------- */
  function lineChart(svg, M) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var W = svg.clientWidth || 820, H = svg.clientHeight || 280, L = 54, R = 16, T = 14, B = 34;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    function sv(tag, attrs, text) { var e = document.createElementNS(SVGNS, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); if (text != null) e.textContent = text; svg.appendChild(e); return e; }
    var names = Object.keys(M.series), xs = M.x, ymin = 0, ymax = 0, xmin = Infinity, xmax = -Infinity;
    names.forEach(function (k) { M.series[k].forEach(function (y) { if (y != null) { ymax = Math.max(ymax, y); ymin = Math.min(ymin, y); } }); });
    xs.forEach(function (x) { xmin = Math.min(xmin, x); xmax = Math.max(xmax, x); });
    if (ymax <= 1 && ymin >= 0) ymax = 1;
    if (ymax === ymin) ymax = ymin + 1;
    if (!(xmax > xmin)) { xmax = xmin + 1; }
    function X(x) { return L + (x - xmin) / (xmax - xmin) * (W - L - R); }
    function Y(y) { return H - B - (y - ymin) / (ymax - ymin) * (H - T - B); }
    for (var g = 0; g <= 4; g++) {
      var yv = ymin + (ymax - ymin) * g / 4;
      sv("line", { "class": "gridl", x1: L, x2: W - R, y1: Y(yv), y2: Y(yv) });
      sv("text", { x: L - 6, y: Y(yv) + 4, "text-anchor": "end" }, +yv.toPrecision(3));
      var xv = xmin + (xmax - xmin) * g / 4;
      sv("text", { x: X(xv), y: H - B + 16, "text-anchor": "middle" }, +xv.toPrecision(4));
    }
    sv("line", { "class": "axis", x1: L, x2: W - R, y1: H - B, y2: H - B });
    sv("line", { "class": "axis", x1: L, x2: L, y1: T, y2: H - B });
    sv("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" }, M.xkey);
    var palette = ["#0969da", "#2e9d4f", "#bf3989", "#e0a100", "#57606a"];
    names.forEach(function (k, c) {
      var pts = [];
      M.series[k].forEach(function (y, a) { if (y != null) pts.push(X(xs[a]).toFixed(1) + "," + Y(y).toFixed(1)); });
      sv("polyline", { points: pts.join(" "), stroke: palette[c % palette.length], "data-series": k });
      var last = M.series[k][M.series[k].length - 1];
      sv("text", { x: L + 8, y: T + 12 + 14 * c, fill: palette[c % palette.length] }, k + (last != null ? " = " + (+last.toPrecision(4)) : ""));
    });
  }
  function runView(box, P) {
    box.textContent = "";
    var note = el("div", { cls: "stats" });
    var auto = el("input", { type: "checkbox", checked: "checked", id: "auto" });
    box.appendChild(el("div", { cls: "toolbar" }, [el("label", null, [auto, "refresh every 5 s"]), note]));
    box.appendChild(el("h2", { text: "Proved fraction" }));
    var curveBox = el("div");
    box.appendChild(curveBox);
    box.appendChild(el("h2", { text: "Files" }));
    var tbody = el("tbody");
    box.appendChild(el("table", { cls: "grid", id: "files" }, [el("thead", null, [el("tr", null, ["kind", "path", "size", "modified"].map(function (h) { return el("th", { text: h }); }))]), tbody]));
    function update(R) {
      curveBox.textContent = "";
      if (R.metrics && Object.keys(R.metrics.series).length && R.metrics.x.length) {
        var svg = document.createElementNS(SVGNS, "svg"); svg.setAttribute("id", "curve"); curveBox.appendChild(svg); lineChart(svg, R.metrics);
        curveBox.appendChild(el("div", { cls: "stats", text: R.metrics.file + ": " + R.metrics.x.length + " points" }));
      } else curveBox.appendChild(el("div", { cls: "stats", text: R.metrics_note || "no metrics.jsonl with a proved-fraction field yet" }));
      tbody.textContent = "";
      R.files.forEach(function (f) {
        tbody.appendChild(el("tr", null, [el("td", { text: f.kind }), el("td", null, [f.kind === "metrics" ? el("span", { cls: "mono", text: f.path }) : el("a", { href: "/view?path=" + encodeURIComponent(f.path), text: f.path })]),
          el("td", { text: f.size }), el("td", { text: new Date(f.mtime * 1000).toLocaleString() })]));
      });
      note.textContent = R.files.length + " files \u00b7 updated " + new Date().toLocaleTimeString();
      document.body.setAttribute("data-ready", "1");
    }
    update(P);
    setInterval(function () {
      if (!auto.checked) return;
      fetch("/api/run", { cache: "no-store" }).then(function (r) { return r.json(); }).then(update).catch(function () { note.textContent = "the server did not answer"; });
    }, 5000);
  }

  var payload = JSON.parse(document.getElementById("payload").textContent);
  var app = document.getElementById("app");
  var views = { proof: function (b, p) { proofView(b, p); document.body.setAttribute("data-ready", "1"); }, search: searchView, records: recordsView, run: runView };
  views[document.body.getAttribute("data-kind")](app, payload);
  window.equationsViewer = { texToMathML: texToMathML };
})();
