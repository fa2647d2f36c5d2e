// Confirmation before destructive actions: <form data-confirm="确定停用？">.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
