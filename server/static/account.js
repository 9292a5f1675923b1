// The project switcher goes as soon as a project is chosen (its button stays for keyboards and
// browsers without scripts).
document.addEventListener('DOMContentLoaded', () => {
  const select = document.getElementById('switch-project');
  if (select && select.form) {
    select.addEventListener('change', () => select.form.submit());
  }
});
