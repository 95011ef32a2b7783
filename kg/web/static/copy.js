// Copy buttons, an enhancement: without JavaScript they stay hidden and the text is there to select.
// <button class="copy" data-copy="TEXT"> copies TEXT; data-copy-from="ID" copies the text of element ID.
"use strict";

function copyText(button) {
  if (button.dataset.copy !== undefined) return button.dataset.copy;
  const source = document.getElementById(button.dataset.copyFrom);
  return source ? source.textContent.replace(/\s+/g, " ").trim() : "";
}

function selectFallback(button, text) {
  // No clipboard API (a page served over plain HTTP to another host): copy through a selection.
  const field = document.createElement("textarea");
  field.value = text;
  field.setAttribute("readonly", "");
  field.className = "offscreen";
  button.after(field);
  field.select();
  let copied = false;
  try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
  field.remove();
  return copied;
}

function say(button, message) {
  let status = button.nextElementSibling;
  if (!status || !status.classList.contains("copy-status")) {
    status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.after(status);
  }
  status.textContent = message;
}

async function copy(button) {
  const text = copyText(button);
  try {
    await navigator.clipboard.writeText(text);
    say(button, "Copied");
  } catch (error) {
    say(button, selectFallback(button, text) ? "Copied" : "Select the text and copy it");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.copy")) {
    button.hidden = false;
    button.addEventListener("click", () => copy(button));
  }
});
