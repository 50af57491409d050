// The phrase bank (素材库) on the page: topic phrases for the current search with their example
// sentences, a one-click "加入素材库" on every result and similar paragraph, and the bank itself in a side panel.
// Loaded after app.js and uses its helpers (el, $, api, openReader, copyText, filters, showNotice).
// Text from the server is only ever set as textContent, never as HTML.
"use strict";

const TOPIC_COUNT = 20;
const BANK_PAGE = 500;
const MAX_PHRASE_CHARS = 200;
// A query short enough to be a topic becomes the tag of phrases saved from its results.
const MAX_TAG_CHARS = 20;
const KEY_STORAGE = "govsearch-api-key";

const phraseState = { topicKey: "", query: "", pasted: false };
// Title and year of each document an example sentence comes from, by doc_id (a promise while asked).
const exampleSources = new Map();

// --- requests that change the bank (they may need the server's API key) ---------------------------------

async function bankRequest(method, path, body, askedForKey = false) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const key = localStorage.getItem(KEY_STORAGE);
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && !askedForKey) {
    const given = prompt("这台服务器需要 API 密钥才能修改素材库，请输入：");
    if (given) {
      localStorage.setItem(KEY_STORAGE, given.trim());
      return bankRequest(method, path, body, true);
    }
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(payload && payload.error ? payload.error.message : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return payload;
}

function tagForQuery() {
  const query = phraseState.query;
  return !phraseState.pasted && query.length <= MAX_TAG_CHARS && !/[;\n]/.test(query) ? [query] : [];
}

/** Save a phrase and say so on the button that asked; a phrase already in the bank is not an error. */
async function addToBank(phrase, chunkId, button) {
  const label = button.textContent;
  button.disabled = true;
  try {
    await bankRequest("POST", "/bank", { phrase, tags: tagForQuery(), source_chunk_id: chunkId || null });
    button.textContent = "已加入素材库";
    button.title = phrase;
  } catch (error) {
    if (error.status === 409) {
      button.textContent = "已在素材库中";
    } else {
      button.textContent = label;
      button.disabled = false;
      showNotice(`加入素材库失败：${error.message}`);
      return;
    }
  }
  refreshBankCount();
  if (!$("#bank").hidden) loadBank();
}

// --- "加入素材库" on each result -------------------------------------------------------------------------

/** The text as one line: a phrase never holds a paragraph break. */
function joinLines(text) {
  return text.replace(/\s*\n\s*/g, "").trim();
}

/** One line of at most MAX_PHRASE_CHARS. */
function oneLine(text) {
  return joinLines(text).slice(0, MAX_PHRASE_CHARS);
}

/** The text selected inside this passage, if any. */
function selectionIn(passageNode) {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !passageNode.contains(selection.anchorNode)) return "";
  return oneLine(selection.toString());
}

/** Without a selection: the passage itself, or where it is longer than a phrase may be, its sentence with
 * the first highlighted match (the first sentence when nothing is highlighted). */
function phraseOfPassage(passageNode) {
  const text = passageNode.textContent;
  if (joinLines(text).length <= MAX_PHRASE_CHARS) return joinLines(text);
  const mark = passageNode.querySelector("mark");
  const at = mark ? text.indexOf(mark.textContent) : 0;
  const start = Math.max(...["。", "！", "？", "；", "\n"].map((stop) => text.lastIndexOf(stop, at - 1))) + 1;
  const ends = ["。", "！", "？", "；", "\n"].map((stop) => text.indexOf(stop, at)).filter((end) => end >= 0);
  return oneLine(text.slice(start, ends.length ? Math.min(...ends) + 1 : text.length));
}

function addButtonFor(item) {
  const passageNode = item.querySelector(":scope > .passage");
  const button = el("button", {
    type: "button",
    class: "add-to-bank",
    title: `选中文字后点击，加入所选；否则加入本段（超过 ${MAX_PHRASE_CHARS} 字的段落加入含检索词的那一句）`,
  }, "加入素材库");
  // The selection is read before the click can move the focus and clear it.
  let selected = "";
  button.addEventListener("pointerdown", () => { selected = selectionIn(passageNode); });
  button.addEventListener("click", () => {
    const chosen = selected || selectionIn(passageNode);
    selected = "";
    addToBank(chosen || phraseOfPassage(passageNode), item.dataset.chunkId, button);
  });
  return button;
}

/** "加入素材库" on each passage in `container`: the results, or a result's similar paragraphs. */
function decoratePassages(container) {
  for (const item of container.querySelectorAll(".result, .similar-hit")) {
    const actions = item.querySelector(":scope > .actions");
    if (!actions.querySelector(".add-to-bank")) actions.append(addButtonFor(item));
  }
}

// --- 主题表达: topic phrases for the current search -------------------------------------------------------

function topicRequest(query) {
  const body = { q: query, k: TOPIC_COUNT, ...filters() };
  delete body.mode; // phrases come from the hybrid search whatever the chosen mode
  return body;
}

async function loadTopics(query) {
  const body = topicRequest(query);
  const key = JSON.stringify(body);
  if (key === phraseState.topicKey) return; // the same search, another page
  phraseState.topicKey = key;
  const panel = $("#topics");
  panel.hidden = false;
  panel.replaceChildren(el("p", { class: "hint" }, "正在归纳主题表达…"));
  try {
    const { phrases } = await api("/phrases", body);
    if (phraseState.topicKey !== key) return; // a newer search has started
    renderTopics(query, phrases);
  } catch (error) {
    if (phraseState.topicKey === key) panel.replaceChildren(el("p", { class: "hint" }, `主题表达加载失败：${error.message}`));
  }
}

function renderTopics(query, phrases) {
  const panel = $("#topics");
  if (!phrases.length) {
    panel.hidden = true;
    return;
  }
  const detail = el("div", { class: "topic-detail", hidden: true });
  const chips = phrases.map((item) => el("button", {
    type: "button",
    class: "chip",
    "aria-pressed": "false",
    title: `在 ${item.doc_count} 篇文档中出现 ${item.count} 次`,
  }, item.phrase));
  chips.forEach((chip, index) => chip.addEventListener("click", () => {
    const open = chip.getAttribute("aria-pressed") === "true";
    for (const other of chips) other.setAttribute("aria-pressed", "false");
    chip.setAttribute("aria-pressed", String(!open));
    detail.hidden = open;
    if (!open) detail.replaceChildren(...topicDetail(phrases[index]));
  }));
  const label = phraseState.pasted ? "所粘贴段落" : `“${query}”`;
  panel.replaceChildren(el("details", { open: true },
    el("summary", {}, "主题表达", el("span", { class: "hint" }, `${label}相关段落中的常用说法，点击查看例句`)),
    el("div", { class: "chips" }, chips),
    detail));
}

function topicDetail(item) {
  const add = el("button", { type: "button", class: "add-to-bank" }, "加入素材库");
  const source = item.examples.length ? item.examples[0].chunk_id : null;
  add.addEventListener("click", () => addToBank(item.phrase, source, add));
  return [
    el("div", { class: "topic-head" },
      el("strong", {}, item.phrase),
      el("span", { class: "meta" }, `在 ${item.doc_count} 篇文档中出现 ${item.count} 次`),
      add),
    el("ol", { class: "examples-list" }, item.examples.map((example) => el("li", { "data-chunk-id": example.chunk_id },
      el("button", {
        type: "button",
        class: "example-sentence",
        title: "在原文中查看",
        onclick: () => openReader(example.doc_id, example.chunk_id),
      }, markedSentence(example.sentence, item.phrase)),
      exampleSource(example)))),
  ];
}

/** Which report an example sentence is from ("—— 2024年政府工作报告"), filled in once it is known. */
function exampleSource(example) {
  const line = el("span", { class: "meta example-source" });
  if (!exampleSources.has(example.doc_id)) {
    exampleSources.set(example.doc_id, api(`/chunks/${encodeURIComponent(example.chunk_id)}?context=0`)
      .then(({ document: info }) => info)
      .catch(() => { exampleSources.delete(example.doc_id); return null; }));
  }
  exampleSources.get(example.doc_id).then((info) => {
    if (!info) return;
    const year = info.year && !info.title.includes(String(info.year)) ? `（${info.year}年）` : "";
    line.textContent = `—— ${info.title}${year}`;
  });
  return line;
}

/** The sentence with each occurrence of the phrase in <mark>. */
function markedSentence(sentence, phrase) {
  const pieces = sentence.split(phrase);
  return pieces.flatMap((piece, index) => (index ? [el("mark", {}, phrase), piece] : [piece]));
}

// --- the bank panel -------------------------------------------------------------------------------------

async function refreshBankCount() {
  try {
    const { total } = await api("/bank?limit=1");
    $("#bank-count").textContent = total ? String(total) : "";
  } catch {
    $("#bank-count").textContent = "";
  }
}

function openBank() {
  $("#bank").hidden = false;
  document.body.classList.add("banking");
  loadBank();
}

function closeBank() {
  $("#bank").hidden = true;
  document.body.classList.remove("banking");
}

async function loadBank() {
  const tag = $("#bank-tag").value;
  const query = $("#bank-query").value.trim();
  const params = new URLSearchParams({ limit: BANK_PAGE });
  if (tag) params.set("tag", tag);
  if (query) params.set("q", query);
  try {
    const [all, shown] = await Promise.all([api(`/bank?limit=${BANK_PAGE}`), api(`/bank?${params}`)]);
    showTags(all.entries, tag);
    $("#bank-meta").textContent = tag || query ? `${shown.total} / ${all.total} 条` : `共 ${all.total} 条`;
    $("#bank-list").replaceChildren(...(shown.entries.length
      ? shown.entries.map(bankItem)
      : [el("li", { class: "hint" }, all.total ? "没有符合条件的素材。" : "素材库还是空的：在检索结果上点“加入素材库”。")]));
    $("#bank-count").textContent = all.total ? String(all.total) : "";
  } catch (error) {
    $("#bank-list").replaceChildren(el("li", { class: "hint" }, `素材库加载失败：${error.message}`));
  }
}

function showTags(entries, chosen) {
  const tags = [...new Set(entries.flatMap((entry) => entry.tags))].sort((a, b) => a.localeCompare(b, "zh-CN"));
  if (chosen && !tags.includes(chosen)) tags.unshift(chosen);
  $("#bank-tag").replaceChildren(el("option", { value: "" }, "全部标签"),
    ...tags.map((tag) => el("option", { value: tag, selected: tag === chosen }, tag)));
}

function bankItem(entry) {
  const copyButton = el("button", { type: "button", class: "copy" }, "复制");
  copyButton.addEventListener("click", () => copyText(entry.phrase, copyButton));
  const removeButton = el("button", { type: "button", class: "remove" }, "删除");
  // Two clicks to delete, without a dialog: the first asks, the second deletes.
  removeButton.addEventListener("click", async () => {
    if (!removeButton.classList.contains("confirm")) {
      removeButton.classList.add("confirm");
      removeButton.textContent = "确认删除";
      return;
    }
    try {
      await bankRequest("DELETE", `/bank/${entry.id}`);
      loadBank();
    } catch (error) {
      removeButton.textContent = `删除失败：${error.message}`;
    }
  });
  const sourceButton = entry.source_chunk_id
    ? el("button", { type: "button", onclick: () => openSource(entry.source_chunk_id, sourceButton) }, "查看出处")
    : null;
  return el("li", { class: "bank-entry", "data-entry-id": entry.id },
    el("p", { class: "bank-phrase" }, entry.phrase),
    entry.tags.length ? el("p", { class: "tags" }, entry.tags.map((tag) => el("button", {
      type: "button",
      class: "tag",
      title: "只看这个标签",
      onclick: () => { showTags([entry], tag); loadBank(); },
    }, tag))) : null,
    entry.note ? el("p", { class: "bank-note" }, entry.note) : null,
    el("div", { class: "actions" }, copyButton, sourceButton, removeButton));
}

async function openSource(chunkId, button) {
  try {
    const { document: info } = await api(`/chunks/${encodeURIComponent(chunkId)}?context=0`);
    openReader(info.doc_id, chunkId);
  } catch (error) {
    button.textContent = "出处已不在索引中";
    button.disabled = true;
  }
}

// --- start ----------------------------------------------------------------------------------------------

function startPhrases() {
  document.addEventListener("results", (event) => {
    phraseState.query = event.detail.query;
    phraseState.pasted = event.detail.pasted;
    decoratePassages($("#results"));
    loadTopics(event.detail.query);
  });
  document.addEventListener("passages", (event) => decoratePassages(event.detail.container));
  $("#open-bank").addEventListener("click", openBank);
  for (const closer of document.querySelectorAll("[data-close-bank]")) closer.addEventListener("click", closeBank);
  // Captured before app.js's handler: Escape closes the reader first when it is open over the bank.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && $("#reader").hidden) closeBank();
  }, { capture: true });
  $("#bank-tag").addEventListener("change", loadBank);
  $("#bank-query").addEventListener("input", loadBank);
  refreshBankCount();
}

startPhrases();
