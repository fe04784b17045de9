/* The token panels: revoking a token asks first, naming it. */
(function () {
  'use strict';

  function start() {
    document.querySelectorAll('button[data-confirm]').forEach(
      function (button) {
        button.addEventListener('click', function (event) {
          if (!window.confirm(button.getAttribute('data-confirm'))) {
            event.preventDefault();
          }
        });
      });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
