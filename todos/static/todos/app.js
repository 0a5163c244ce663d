// Progressive enhancement for the tasks, Today and Upcoming pages. Without this file every control
// is a plain link or form post; with it, the same requests are made with fetch and the server's
// fragment (the same template include it renders inside full pages) is swapped in, so the page
// never reloads.
(() => {
  "use strict";

  const LAYOUT_ID = "tasks-layout";
  const NEW_TASK_ID = "new-task-title";
  const TODAY_LINK_ID = "today-link";

  const layout = () => document.getElementById(LAYOUT_ID);
  const pageKey = () => location.pathname + location.search;

  // Each request takes a number; a response that is no longer the newest is dropped, so a slow
  // answer cannot overwrite a newer one.
  let latest = 0;
  // The page the layout currently shows (a fragment link like #main changes only the hash).
  let shown = pageKey();

  async function request(url, init = {}) {
    const response = await fetch(url, {
      ...init,
      credentials: "same-origin",
      headers: { "X-Fragment": "1" },
    });
    if (response.status >= 500 || response.status === 403) {
      // Something the fragment cannot show (server error, expired session token): let the
      // browser do the plain request instead.
      throw new Error(`HTTP ${response.status}`);
    }
    const html = await response.text();
    return { response, doc: new DOMParser().parseFromString(html, "text/html") };
  }

  function focusById(id) {
    const element = id && document.getElementById(id);
    if (element) {
      element.focus();
      return true;
    }
    return false;
  }

  // Replace the lists-and-tasks layout and the flash messages with the fragment's. Text typed
  // into the New task box meanwhile survives (unless it is what was just added).
  function swapLayout(doc, focusIds, draft = {}) {
    const fresh = doc.getElementById(LAYOUT_ID);
    const current = layout();
    if (!fresh || !current) return false;
    const typed = document.getElementById(NEW_TASK_ID)?.value ?? "";
    current.replaceWith(fresh);
    const box = document.getElementById(NEW_TASK_ID);
    if (box && typed !== (draft.sent ?? "") && typed !== "") box.value = typed;
    // Update the live region in place so screen readers announce the new message.
    const messages = doc.getElementById("messages");
    const oldMessages = document.getElementById("messages");
    if (messages && oldMessages) oldMessages.innerHTML = messages.innerHTML;
    // The header's Today count follows the action as well: the fragment carries the link.
    const todayLink = doc.getElementById(TODAY_LINK_ID);
    if (todayLink) document.getElementById(TODAY_LINK_ID)?.replaceWith(todayLink);
    const heading = document.getElementById("list-title");
    if (heading) document.title = `${heading.textContent.trim()} · todo`;
    focusIds.find(focusById) || focusById(NEW_TASK_ID);
    return true;
  }

  // Where focus goes after an action: the same control if it still exists, else a neighbour.
  function focusPlan(form, submitter) {
    const ids = [];
    if (submitter?.classList.contains("delete")) {
      const item = form.closest("li") || submitter.closest("li");
      const neighbour = item && (item.nextElementSibling || item.previousElementSibling);
      if (neighbour) ids.push(neighbour.querySelector(".check")?.id);
    } else if (form.classList.contains("task-form")) {
      ids.push(`toggle-${form.dataset.task}`);
    }
    ids.push(submitter?.id, document.activeElement?.id);
    return ids.filter(Boolean);
  }

  // Task buttons share one form and carry their own URL in formaction.
  function actionOf(form, submitter) {
    return submitter?.hasAttribute("formaction") ? submitter.formAction : form.action;
  }

  // Without the enhancement: the browser's own submission of the same button.
  function submitPlainly(form, submitter) {
    form.action = actionOf(form, submitter);
    form.submit();
  }

  async function navigate(url, { push = true, focusIds = [] } = {}) {
    const ticket = ++latest;
    const { doc } = await request(url);
    if (ticket !== latest) return;
    if (!swapLayout(doc, focusIds)) {
      // A page of its own (sharing, activity, renaming a list): load it as the browser would.
      location.assign(url);
      return;
    }
    if (push) history.pushState({ fragment: true }, "", url);
    shown = pageKey();
  }

  async function submit(form, submitter) {
    const method = (form.getAttribute("method") || "get").toLowerCase();
    const focusIds = focusPlan(form, submitter);
    if (method === "get") {
      const url = new URL(form.action, location.href);
      url.search = new URLSearchParams(new FormData(form)).toString();
      return navigate(url.href, { focusIds });
    }
    const body = new FormData(form);
    const draft = { sent: form.contains(document.getElementById(NEW_TASK_ID)) ? body.get("title") : "" };
    const ticket = ++latest;
    const { response, doc } = await request(actionOf(form, submitter), { method: "POST", body });
    if (ticket !== latest) return;
    if (swapLayout(doc, focusIds, draft)) {
      if (response.redirected && response.url !== location.href) {
        history.pushState({ fragment: true }, "", response.url);
      }
      shown = pageKey();
      return;
    }
    // Not the layout: the edit form came back, with its errors (400) or, when someone else
    // saved the task first (409), at their version with what this user had entered; nothing
    // was saved. Show it where it was, focus on what needs attention.
    const fragment = doc.body.firstElementChild;
    if (fragment) {
      fragment.noValidate = true;
      form.replaceWith(fragment);
      const conflict = response.status === 409 && fragment.querySelector("#edit-conflict");
      if (conflict) conflict.setAttribute("tabindex", "-1");
      (conflict || fragment.querySelector("[aria-invalid=true], input, textarea"))?.focus();
    }
  }

  // The Edit control and a double-click on a title open the edit form inside the task's row.
  async function editInPlace(link) {
    const item = link.closest("li");
    const { doc } = await request(link.href);
    const form = doc.querySelector("form.task-form");
    if (!item || !form) return;
    // The server checks the fields; the browser's own checks would stop an emptied title, which
    // here means "delete".
    form.noValidate = true;
    item.classList.add("editing");
    item.replaceChildren(form);
    const title = form.querySelector("input[name=title]");
    title?.focus();
    title?.select();
  }

  function cancelEdit(form) {
    navigate(location.href, { push: false, focusIds: [`edit-${form.dataset.task}`] });
  }

  function fallBack(action) {
    return (error) => {
      console.warn("todo: falling back to a full page load", error);
      action();
    };
  }

  function withinLayout(element) {
    return element && layout()?.contains(element);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !withinLayout(form)) return;
    const submitter = event.submitter;
    if (form.classList.contains("task-form")) {
      const title = form.querySelector("input[name=title]");
      if (title && !title.value.trim()) {
        // As in TodoMVC, emptying a title means deleting the task, once confirmed.
        event.preventDefault();
        const deleteButton = form.querySelector("button.delete");
        if (deleteButton && window.confirm("Delete this task?")) {
          submit(form, deleteButton).catch(fallBack(() => submitPlainly(form, deleteButton)));
        } else {
          title.focus();
        }
        return;
      }
    }
    event.preventDefault();
    // Reflect a toggle at once; the server's answer replaces it a moment later.
    if (submitter?.getAttribute("role") === "checkbox") {
      const checked = submitter.getAttribute("aria-checked") === "true";
      submitter.setAttribute("aria-checked", String(!checked));
    }
    submit(form, submitter).catch(fallBack(() => submitPlainly(form, submitter)));
  });

  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element && event.target.closest("a[href]");
    if (!link || !withinLayout(link) || link.origin !== location.origin) return;
    event.preventDefault();
    if (link.classList.contains("edit")) {
      editInPlace(link).catch(fallBack(() => location.assign(link.href)));
    } else if (link.classList.contains("cancel")) {
      cancelEdit(link.closest("form"));
    } else {
      navigate(link.href, { focusIds: [link.id] }).catch(fallBack(() => location.assign(link.href)));
    }
  });

  document.addEventListener("dblclick", (event) => {
    const title = event.target instanceof Element && event.target.closest(".title[data-edit]");
    const link = title && document.getElementById(title.dataset.edit);
    if (link) editInPlace(link).catch(fallBack(() => location.assign(link.href)));
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const form = event.target instanceof Element && event.target.closest("form.task-form");
    if (form && withinLayout(form)) {
      event.preventDefault();
      cancelEdit(form);
    }
  });

  window.addEventListener("popstate", () => {
    if (pageKey() === shown) return; // only the #fragment changed, e.g. the skip link
    navigate(location.href, { push: false }).catch(fallBack(() => location.reload()));
  });
})();
