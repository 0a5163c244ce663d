// Progressive enhancement for the tasks page. Without this file every control is a plain link or
// form post; with it, the same requests are made with fetch and the server's fragment (the same
// template include it renders inside full pages) is swapped in, so the page never reloads.
(() => {
  "use strict";

  const LAYOUT_ID = "tasks-layout";
  const NEW_TASK_ID = "new-task-title";

  const layout = () => document.getElementById(LAYOUT_ID);

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

  // Replace the lists-and-tasks layout and the flash messages with the fragment's.
  function swapLayout(doc, focusIds) {
    const fresh = doc.getElementById(LAYOUT_ID);
    const current = layout();
    if (!fresh || !current) return false;
    current.replaceWith(fresh);
    const messages = doc.getElementById("messages");
    const oldMessages = document.getElementById("messages");
    // Update the live region in place so screen readers announce the new message.
    if (messages && oldMessages) oldMessages.innerHTML = messages.innerHTML;
    const heading = document.getElementById("list-title");
    if (heading) document.title = `${heading.textContent.trim()} · todo`;
    focusIds.find(focusById) || focusById(NEW_TASK_ID);
    return true;
  }

  // Where focus goes after an action: the same control if it still exists, else a neighbour.
  function focusPlan(form, submitter) {
    const active = document.activeElement;
    const ids = [];
    if (form.classList.contains("delete")) {
      const item = form.closest("li");
      const neighbour = item && (item.nextElementSibling || item.previousElementSibling);
      if (neighbour) ids.push(neighbour.querySelector(".check")?.id);
    } else if (form.classList.contains("task-form")) {
      ids.push(`toggle-${form.dataset.task}`);
    }
    ids.push(submitter?.id, active?.id);
    return ids.filter(Boolean);
  }

  async function navigate(url, { push = true, focusIds = [] } = {}) {
    const { doc } = await request(url);
    if (swapLayout(doc, focusIds) && push) history.pushState({ fragment: true }, "", url);
  }

  async function submit(form, submitter) {
    const method = (form.getAttribute("method") || "get").toLowerCase();
    const focusIds = focusPlan(form, submitter);
    if (method === "get") {
      const url = new URL(form.action, location.href);
      url.search = new URLSearchParams(new FormData(form)).toString();
      return navigate(url.href, { focusIds });
    }
    const { response, doc } = await request(form.action, { method: "POST", body: new FormData(form) });
    if (swapLayout(doc, focusIds)) {
      if (response.redirected && response.url !== location.href) {
        history.pushState({ fragment: true }, "", response.url);
      }
      return;
    }
    // Not the layout: the edit form came back with its errors; show it where it was.
    const fragment = doc.body.firstElementChild;
    if (fragment) {
      form.replaceWith(fragment);
      fragment.querySelector("[aria-invalid=true], input, textarea")?.focus();
    }
  }

  // The Edit control and a double-click on a title open the edit form inside the task's row.
  async function editInPlace(link) {
    const item = link.closest("li");
    const { doc } = await request(link.href);
    const form = doc.querySelector("form.task-form");
    if (!item || !form) return;
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
        const row = document.getElementById(`delete-${form.dataset.task}`);
        if (window.confirm("Delete this task?") && row) {
          submit(row.form, row).catch(fallBack(() => row.form.submit()));
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
    submit(form, submitter).catch(fallBack(() => form.submit()));
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
    navigate(location.href, { push: false }).catch(fallBack(() => location.reload()));
  });
})();
