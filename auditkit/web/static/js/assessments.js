// The gap-assessment page, on top of htmx (no inline script: the CSP forbids it).
// - A question's block is swapped for a refused answer (422) or a stale one (409) as well as a saved one:
//   the messages are in the block.
// - What is typed or chosen while a save is on its way is put back into the new block and saved in turn;
//   what the assessor had opened (the guidance, the notes) stays open.
// - "Not applicable" and a rating exclude each other; ticking "not applicable" waits for the reason before
//   saving, and opens the box for it.
(function () {
  "use strict";

  // htmx "settles" attributes of the elements a swap keeps; under the page's CSP, setting a style attribute is
  // refused (and logged), so style is left out of them.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  function autosaveForm(element) {
    return element && element.closest ? element.closest("form[data-autosave]") : null;
  }

  function snapshot(form) {
    var state = {};
    form.querySelectorAll("textarea[id], select[id], input[id][type=radio], input[id][type=checkbox]")
      .forEach(function (field) {
        state[field.id] = field.type === "radio" || field.type === "checkbox" ? field.checked : field.value;
      });
    return state;
  }

  function showJustification(form, shown) {
    var box = form.querySelector("[data-justification]");
    if (box) { box.hidden = !shown; }
    return box;
  }

  var pending = {};
  var opened = null;  // {block: the question's id, names: its <details data-details> that were open}

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = autosaveForm(event.detail.elt);
    if (form) { form.sentState = snapshot(form); }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = autosaveForm(event.detail.requestConfig && event.detail.requestConfig.elt);
    if (!form) { return; }
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    pending = {};
    var article = form.closest("article[id]");
    opened = article ? {
      block: article.id,
      names: Array.prototype.map.call(article.querySelectorAll("details[data-details][open]"),
        function (details) { return details.dataset.details; })
    } : null;
    if (status === 409 || !form.sentState) { return; }  // on a conflict, the answer as it stands is shown
    var now = snapshot(form);
    Object.keys(now).forEach(function (id) {
      if (now[id] !== form.sentState[id]) { pending[id] = now[id]; }
    });
  });

  document.addEventListener("htmx:afterSwap", function () {
    var article = opened && document.getElementById(opened.block);
    if (article) {  // what the assessor had opened stays open
      opened.names.forEach(function (name) {
        var details = article.querySelector("details[data-details='" + name + "']");
        if (details) { details.open = true; }
      });
    }
    opened = null;
  });

  document.addEventListener("htmx:afterSettle", function () {  // the new block's triggers are set by now
    var ids = Object.keys(pending);
    if (!ids.length) { return; }
    var form = null;
    ids.forEach(function (id) {
      var field = document.getElementById(id);
      if (!field) { return; }
      if (field.type === "radio" || field.type === "checkbox") { field.checked = pending[id]; } else { field.value = pending[id]; }
      form = form || autosaveForm(field);
    });
    pending = {};
    if (form) {
      var na = form.querySelector("[data-na]");
      showJustification(form, na && na.checked);
      form.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // Capturing, so these run before htmx sees the events on the form.
  document.addEventListener("input", function (event) {
    if (autosaveForm(event.target) && event.target.tagName !== "TEXTAREA") {
      event.stopPropagation();  // radios, boxes and lists save on "change"; only typing waits for a pause
    }
  }, true);

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = autosaveForm(input);
    if (!form) { return; }
    if (input.matches("[data-na]")) {
      var box = showJustification(form, input.checked);
      if (input.checked) {
        form.querySelectorAll("input[name=rating]").forEach(function (radio) { radio.checked = false; });
        var reason = box && box.querySelector("textarea");
        if (reason && !reason.value.trim()) {
          event.stopPropagation();  // saved once the reason is given (or with the button, to see what is missing)
          reason.focus();
        }
      }
    } else if (input.name === "rating" && input.checked) {
      var notApplicable = form.querySelector("[data-na]");
      if (notApplicable && notApplicable.checked) {
        notApplicable.checked = false;
        showJustification(form, false);
      }
    }
  }, true);
})();
