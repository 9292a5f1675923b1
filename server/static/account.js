// The project switcher goes as soon as a project is chosen (its button stays for keyboards and
// browsers without scripts).
document.addEventListener('DOMContentLoaded', () => {
  const select = document.getElementById('switch-project');
  if (select && select.form) {
    select.addEventListener('change', () => select.form.submit());
  }
});

// Ticking a site in a site form (a member's row, or the add form) means "Only these sites": without
// this, a box ticked under "All sites" would be ignored without a word.
document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('.acc-sites-form')) {
    form.addEventListener('change', (e) => {
      const only = form.querySelector('input[name="sites_mode"][value="only"]');
      if (e.target.name === 'site' && e.target.checked && only) {
        only.checked = true;
      }
    });
  }
});
