// The page for writers: search, read a passage in context, find similar paragraphs, copy.
// Plain DOM, no build step. Text from the server is only ever set as textContent, never as HTML.
"use strict";

const PAGE_SIZE = 10;
const MAX_OFFSET = 1000;
const SIMILAR_COUNT = 5;

const state = { query: "", offset: 0 };

const $ = (selector) => document.querySelector(selector);

/** An element with attributes and children (strings become text nodes, so nothing is parsed as HTML). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(path, body) {
  const options = body === undefined
    ? {}
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const message = payload && payload.error ? payload.error.message : `HTTP ${response.status}`;
    throw new Error(message);
  }
  return payload;
}

function filters() {
  const body = { mode: document.querySelector("input[name=mode]:checked").value };
  const yearFrom = $("#year-from").value.trim();
  const yearTo = $("#year-to").value.trim();
  if (yearFrom) body.year_from = Number(yearFrom);
  if (yearTo) body.year_to = Number(yearTo);
  if ($("#level").value) body.level = [$("#level").value];
  if ($("#doc-type").value) body.type = [$("#doc-type").value];
  return body;
}

function showNotice(message) {
  const notice = $("#notice");
  notice.textContent = message || "";
  notice.hidden = !message;
}

// --- rendering ------------------------------------------------------------------------------------------

/** Blank lines between a heading and its paragraph read as gaps in a short passage: keep one break. */
function compactLines(text) {
  return text.replace(/\n\s*\n+/g, "\n");
}

/** The passage with its highlighted runs as <mark>; the server already cut it into segments. */
function passage(hit, className = "passage") {
  const segments = hit.segments && hit.segments.length ? hit.segments : [{ text: hit.text, highlight: false }];
  return el("p", { class: className },
    segments.map((segment) => {
      const text = compactLines(segment.text);
      return segment.highlight ? el("mark", {}, text) : text;
    }));
}

function sourceLine(document, onOpen) {
  const details = [document.year && `${document.year}年`, document.region, document.level !== "未知" && document.level,
    document.type !== "其他" && document.type].filter(Boolean);
  return el("div", { class: "source" },
    el("button", { type: "button", class: "title", onclick: onOpen, title: "在原文中查看" }, document.title),
    el("span", { class: "meta" }, details.join(" · ")));
}

function headingPath(path) {
  return path && path.length ? el("p", { class: "headings" }, path.join(" › ")) : null;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Pages served over plain http to another host have no clipboard API: fall back to a selection.
    const area = el("textarea", { class: "visually-hidden" }, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  const label = button.textContent;
  button.textContent = "已复制";
  setTimeout(() => { button.textContent = label; }, 1500);
}

function resultItem(hit) {
  const similarBox = el("div", { class: "similar-results", hidden: true });
  const similarButton = el("button", { type: "button", class: "similar" }, "查找相似");
  similarButton.addEventListener("click", () => toggleSimilar(hit, similarBox, similarButton));
  const copyButton = el("button", { type: "button", class: "copy" }, "复制");
  copyButton.addEventListener("click", () => copyText(hit.text, copyButton));
  return el("li", { class: "result", "data-doc-id": hit.document.doc_id, "data-chunk-id": hit.chunk_id },
    sourceLine(hit.document, () => openReader(hit.document.doc_id, hit.chunk_id)),
    headingPath(hit.heading_path),
    passage(hit),
    el("div", { class: "actions" },
      copyButton,
      el("button", { type: "button", onclick: () => openReader(hit.document.doc_id, hit.chunk_id) }, "查看上下文"),
      similarButton,
      hit.duplicates ? el("span", { class: "hint" }, `另有 ${hit.duplicates} 处相近表述已合并`) : null),
    similarBox);
}

function similarItem(hit) {
  const copyButton = el("button", { type: "button", class: "copy" }, "复制");
  copyButton.addEventListener("click", () => copyText(hit.text, copyButton));
  return el("li", { class: "similar-hit", "data-doc-id": hit.document.doc_id, "data-chunk-id": hit.chunk_id },
    sourceLine(hit.document, () => openReader(hit.document.doc_id, hit.chunk_id)),
    headingPath(hit.heading_path),
    el("p", { class: "passage small" }, compactLines(hit.text)),
    el("div", { class: "actions" },
      copyButton,
      el("button", { type: "button", onclick: () => openReader(hit.document.doc_id, hit.chunk_id) }, "查看上下文")));
}

async function toggleSimilar(hit, box, button) {
  if (!box.hidden) {
    box.hidden = true;
    button.textContent = "查找相似";
    return;
  }
  box.hidden = false;
  box.replaceChildren(el("p", { class: "hint" }, "正在查找其他报告中的相似段落…"));
  try {
    const page = await api("/similar", { chunk_id: hit.chunk_id, k: SIMILAR_COUNT, per_document: 1 });
    box.replaceChildren(
      el("h3", {}, "其他报告中的相似段落"),
      page.hits.length ? el("ol", {}, page.hits.map(similarItem)) : el("p", { class: "hint" }, "没有找到相似段落。"));
    button.textContent = "收起相似";
    // phrases.js listens: "加入素材库" on each similar paragraph.
    document.dispatchEvent(new CustomEvent("passages", { detail: { container: box } }));
  } catch (error) {
    box.replaceChildren(el("p", { class: "hint" }, `查找失败：${error.message}`));
  }
}

// The server counts hits only up to the first one after the page: `more` is exact, `total` exact only
// when there is no more.
function summaryLine(page) {
  if (!page.hits.length) return page.offset ? "这一页没有结果了。" : "没有找到结果。试试换个说法，或放宽筛选条件。";
  const range = `第 ${page.offset + 1}–${page.offset + page.hits.length} 个`;
  if (page.more) return `${range}段落，后面还有`;
  return page.total > page.hits.length ? `共 ${page.total} 个段落，${range}` : `共 ${page.total} 个段落`;
}

function renderPage(page) {
  $("#summary").replaceChildren(el("p", {}, summaryLine(page)));
  $("#results").replaceChildren(...page.hits.map(resultItem));
  $("#pager").hidden = state.offset === 0 && !page.more;
  $("#previous-page").disabled = state.offset === 0;
  $("#next-page").disabled = !page.more || state.offset + PAGE_SIZE > MAX_OFFSET;
  $("#page-label").textContent = `第 ${Math.floor(state.offset / PAGE_SIZE) + 1} 页`;
}

// --- searching ------------------------------------------------------------------------------------------

async function runSearch() {
  if (!state.query) return;
  showNotice("");
  $("#summary").replaceChildren(el("p", { class: "hint" }, "正在搜索…"));
  document.body.classList.add("busy");
  try {
    renderPage(await api("/search", { q: state.query, k: PAGE_SIZE, offset: state.offset, ...filters() }));
    // phrases.js listens: topic phrases and "加入素材库" on each result.
    document.dispatchEvent(new CustomEvent("results", { detail: { query: state.query, pasted: pasteMode() } }));
    rememberInAddress();
  } catch (error) {
    $("#summary").replaceChildren();
    $("#results").replaceChildren();
    $("#pager").hidden = true;
    showNotice(`搜索失败：${error.message}`);
  } finally {
    document.body.classList.remove("busy");
  }
}

async function turnPage(step) {
  state.offset = Math.max(0, state.offset + step);
  await runSearch();
  $("#summary").scrollIntoView({ block: "start" });
}

function pasteMode() {
  return !$("#paste-row").hidden;
}

function submitSearch(event) {
  event.preventDefault();
  state.query = (pasteMode() ? $("#paste").value : $("#query").value).trim();
  state.offset = 0;
  if (!state.query) {
    showNotice(pasteMode() ? "请先粘贴一段文字。" : "请输入关键词。");
    return;
  }
  runSearch();
}

function rememberInAddress() {
  if (pasteMode()) return; // a pasted paragraph is too long for an address
  const params = new URLSearchParams({ q: state.query });
  if (state.offset) params.set("offset", state.offset);
  history.replaceState(null, "", `?${params}`);
}

function togglePaste() {
  const toPaste = !pasteMode();
  $("#paste-row").hidden = !toPaste;
  $("#words-row").hidden = toPaste;
  $("#toggle-paste").textContent = toPaste ? "改用关键词搜索" : "粘贴一段文字查找";
  (toPaste ? $("#paste") : $("#query")).focus();
}

// --- the reader: a document with the passage in context ---------------------------------------------------

async function openReader(docId, chunkId) {
  const reader = $("#reader");
  reader.hidden = false;
  document.body.classList.add("reading");
  $("#reader-title").textContent = "正在打开…";
  $("#reader-meta").textContent = "";
  $("#reader-body").replaceChildren();
  try {
    const { document: info, chunks } = await api(`/documents/${encodeURIComponent(docId)}`);
    $("#reader-title").textContent = info.title;
    $("#reader-meta").textContent = [info.year && `${info.year}年`, info.region, info.level, info.type,
      `${info.chunk_count} 段`].filter(Boolean).join(" · ");
    $("#reader-body").replaceChildren(...readerParagraphs(chunks, chunkId));
    const current = $("#reader-body .current");
    if (current) current.scrollIntoView({ block: "center" });
  } catch (error) {
    $("#reader-title").textContent = `打开失败：${error.message}`;
  }
}

/** The document as its passages in order, each a block of paragraphs; the current one marked. */
function readerParagraphs(chunks, currentId) {
  const nodes = [];
  let heading = "";
  let shownUntil = 0;
  for (const chunk of chunks) {
    const isCurrent = chunk.chunk_id === currentId;
    // Chunks may overlap: show only the part not already shown (the current passage is shown whole).
    const text = !isCurrent && chunk.start < shownUntil ? chunk.text.slice(shownUntil - chunk.start) : chunk.text;
    shownUntil = Math.max(shownUntil, chunk.end);
    const innermost = chunk.heading_path.at(-1) || "";
    // A passage usually opens with its own heading; only a heading it does not repeat gets a title line.
    if (innermost && innermost !== heading && !text.trimStart().startsWith(innermost)) {
      nodes.push(el("h3", { class: "reader-heading" }, innermost));
    }
    heading = innermost;
    const paragraphs = text.split(/\n+/).map((line) => line.trim()).filter(Boolean);
    if (!paragraphs.length) continue;
    const headings = new Set(chunk.heading_path);
    const isHeading = (line) => headings.has(line.replace(/[。.]$/, ""));
    nodes.push(el("div", { class: isCurrent ? "chunk current" : "chunk", "data-chunk-id": chunk.chunk_id },
      paragraphs.map((line) => (isHeading(line) ? el("h3", { class: "reader-heading" }, line) : el("p", {}, line)))));
  }
  return nodes;
}

function closeReader() {
  $("#reader").hidden = true;
  document.body.classList.remove("reading");
}

// --- start ----------------------------------------------------------------------------------------------

async function showStatus() {
  try {
    const ready = await api("/readyz");
    $("#status").textContent = `已收录 ${ready.documents} 篇文档、${ready.chunks} 个段落`;
  } catch (error) {
    $("#status").textContent = error.message;
  }
}

const EXAMPLES = ["招商引资", "优化营商环境", "乡村振兴", "民生保障"];

function showExamples() {
  $("#summary").replaceChildren(el("p", { class: "examples" }, "试试：",
    EXAMPLES.map((words) => el("button", {
      type: "button",
      class: "example",
      onclick: () => { $("#query").value = words; state.query = words; state.offset = 0; runSearch(); },
    }, words))));
}

function start() {
  $("#search-form").addEventListener("submit", submitSearch);
  $("#toggle-paste").addEventListener("click", togglePaste);
  $("#paste").addEventListener("input", () => { $("#paste-count").textContent = `${$("#paste").value.length} / 5000 字`; });
  for (const control of document.querySelectorAll("input[name=mode], #level, #doc-type")) {
    control.addEventListener("change", () => { state.offset = 0; runSearch(); });
  }
  $("#previous-page").addEventListener("click", () => turnPage(-PAGE_SIZE));
  $("#next-page").addEventListener("click", () => turnPage(PAGE_SIZE));
  for (const closer of document.querySelectorAll("[data-close]")) closer.addEventListener("click", closeReader);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeReader(); });
  showStatus();
  const params = new URLSearchParams(location.search);
  if (params.get("q")) {
    $("#query").value = params.get("q");
    state.query = params.get("q");
    state.offset = Number(params.get("offset")) || 0;
    runSearch();
  } else {
    showExamples();
    $("#query").focus();
  }
}

start();
