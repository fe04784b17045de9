/* The API page as a console: a filter over the methods and the table of
 * contents, and a "Try it" form per method that sends a JSON-RPC call to
 * the endpoint the page came from (with the credentials the browser
 * already has) and shows the request, the response and the time it took.
 * Without JavaScript the page stays the plain listing. */
(function () {
  'use strict';

  var endpoint;
  var callId = 0;
  /* the words, in the user's language (the page's script data) */
  var TEXT = window.rpcConsoleText || {
    filter: 'Filter methods', filterHint: 'e.g. ticket.get',
    shown: '%(count)s of %(total)s methods shown', optional: '(optional)',
    tryIt: 'Try it', call: 'Call', callWrite: 'Call (changes data)',
    confirm: '%(method)s changes data in this Trac. Call it?',
    request: 'Request', response: 'Response', notSent: 'Not sent:',
    zone: 'your time zone: %(zone)s', badJson: 'Not valid JSON: %(problem)s'
  };

  function words(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values[name];
    });
  }

  function element(name, attributes, text) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  /* -- The filter ------------------------------------------------------ */

  function applyFilter(text, count) {
    var methods = document.querySelectorAll('.rpc-method');
    var shown = 0;
    document.querySelectorAll('.rpc-namespace').forEach(function (space) {
      var inSpace = 0;
      space.querySelectorAll('.rpc-method').forEach(function (method) {
        var match = method.id.toLowerCase().indexOf(text) !== -1;
        method.hidden = !match;
        inSpace += match ? 1 : 0;
      });
      space.hidden = !inSpace;
      var entry = document.querySelector(
        '#rpc-toc a[href="#' + space.id + '"]');
      if (entry) {
        entry.parentNode.hidden = !inSpace;
      }
      shown += inSpace;
    });
    count.textContent = words(TEXT.shown, {count: shown,
                                           total: methods.length});
  }

  function addFilter() {
    var heading = document.getElementById('rpc-toc-heading');
    var box = element('div', {id: 'rpc-filter-box', role: 'search'});
    box.appendChild(element('label', {'for': 'rpc-filter'}, TEXT.filter));
    var filter = element('input', {type: 'search', id: 'rpc-filter',
                                   placeholder: TEXT.filterHint,
                                   'aria-describedby': 'rpc-filter-count'});
    box.appendChild(filter);
    var count = element('span', {id: 'rpc-filter-count',
                                 'aria-live': 'polite'});
    box.appendChild(count);
    heading.parentNode.insertBefore(box, heading);
    filter.addEventListener('input', function () {
      applyFilter(filter.value.trim().toLowerCase(), count);
    });
    applyFilter('', count);
  }

  /* -- The form's fields ----------------------------------------------- */

  var INPUTS = {
    'int': {type: 'number', step: '1'},
    'double': {type: 'number', step: 'any'},
    'boolean': {type: 'checkbox'},
    'dateTime.iso8601': {type: 'datetime-local', step: '1'},
    'base64': {type: 'file'}
  };

  function zoneName() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
    } catch (noIntl) {
      return 'local';
    }
  }

  /* A JSON field says at once what is wrong with it, as it is typed. */
  function checkJson(input, note) {
    var text = input.value.trim();
    var problem = '';
    if (text) {
      try {
        JSON.parse(text);
      } catch (error) {
        problem = words(TEXT.badJson, {problem: error.message});
      }
    }
    input.setCustomValidity(problem);
    input.setAttribute('aria-invalid', problem ? 'true' : 'false');
    note.textContent = problem;
  }

  function field(method, param) {
    var id = 'rpc-' + method.replace(/\W/g, '-') + '-' + param.name;
    var json = param.type === 'array' || param.type === 'struct';
    var input = INPUTS[param.type] ? element('input', INPUTS[param.type]) :
      json ? element('textarea', {rows: '3',
                                  placeholder: param.type === 'array' ?
                                    '[]' : '{}'}) :
        element('input', {type: 'text'});
    input.name = param.name;
    input.id = id;
    input.setAttribute('data-type', param.type);
    var row = element('div', {'class': 'rpc-field'});
    row.appendChild(element('label', {'for': id}, param.name +
                            (param.required ? '' : ' ' + TEXT.optional)));
    row.appendChild(input);
    var hint = param.type;
    if (param.type === 'dateTime.iso8601') {
      hint += ', ' + words(TEXT.zone, {zone: zoneName()});
    }
    row.appendChild(element('small', {}, ' ' + hint));
    if (json) {
      var note = element('span', {'class': 'rpc-problem', role: 'alert'});
      row.appendChild(note);
      input.addEventListener('input', function () {
        checkJson(input, note);
      });
    }
    return row;
  }

  function fileAsBase64(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        resolve(reader.result.slice(reader.result.indexOf(',') + 1));
      };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  /* The value of a field, or undefined when it is left empty. */
  function value(input) {
    var type = input.getAttribute('data-type');
    if (type === 'boolean') {
      return Promise.resolve(input.checked);
    }
    if (type === 'base64') {
      return input.files.length ?
        fileAsBase64(input.files[0]).then(function (data) {
          return {__jsonclass__: ['binary', data]};
        }) : Promise.resolve(undefined);
    }
    var text = input.value;
    if (text === '') {
      return Promise.resolve(undefined);
    }
    if (type === 'int' || type === 'double') {
      return Promise.resolve(Number(text));
    }
    if (type === 'dateTime.iso8601') {  /* typed in the browser's zone */
      return Promise.resolve({__jsonclass__: ['datetime',
        new Date(text).toISOString()]});
    }
    if (type === 'array' || type === 'struct') {
      return new Promise(function (resolve) { resolve(JSON.parse(text)); });
    }
    return Promise.resolve(text);
  }

  /* The params: positional up to the last field filled in; by name when
   * an optional field before it is left blank (never null). */
  function params(form) {
    var inputs = Array.prototype.slice.call(
      form.querySelectorAll('[data-type]'));
    return Promise.all(inputs.map(value)).then(function (values) {
      var last = values.length;
      while (last > 0 && values[last - 1] === undefined) {
        last -= 1;
      }
      values = values.slice(0, last);
      if (values.indexOf(undefined) === -1) {
        return values;
      }
      var named = {};
      values.forEach(function (item, index) {
        if (item !== undefined) {
          named[inputs[index].name] = item;
        }
      });
      return named;
    });
  }

  /* -- Calls ----------------------------------------------------------- */

  function show(form, request, response, milliseconds) {
    form.querySelector('.rpc-request').textContent =
      'POST ' + endpoint + '\n' + JSON.stringify(request, null, 2);
    form.querySelector('.rpc-response').textContent = response;
    form.querySelector('.rpc-time').textContent =
      milliseconds === null ? '' : Math.round(milliseconds) + ' ms';
  }

  function call(spec, form) {
    if (!form.checkValidity()) {  /* before asking anything */
      form.reportValidity();
      return;
    }
    if (!spec.readonly && !window.confirm(
        words(TEXT.confirm, {method: spec.name}))) {
      return;
    }
    params(form).then(function (values) {
      callId += 1;
      var request = {method: spec.name, params: values, id: callId};
      var started = performance.now();
      show(form, request, '...', null);
      return fetch(endpoint, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(request)
      }).then(function (answer) {
        return answer.text().then(function (text) {
          var pretty = text;
          try {
            pretty = JSON.stringify(JSON.parse(text), null, 2);
          } catch (notJson) {
            pretty = answer.status + ' ' + text;
          }
          show(form, request, pretty, performance.now() - started);
        });
      });
    }).catch(function (problem) {
      show(form, {method: spec.name}, TEXT.notSent + ' ' + problem, null);
    });
  }

  function addConsole(method) {
    var spec = JSON.parse(method.getAttribute('data-rpc'));
    var button = element('button', {type: 'button', 'class': 'rpc-try',
                                    'aria-expanded': 'false'}, TEXT.tryIt);
    var form = element('form', {'class': 'rpc-console'});
    form.hidden = true;
    spec.params.forEach(function (param) {
      form.appendChild(field(spec.name, param));
    });
    var send = element('button', {type: 'submit', 'class': 'rpc-call'},
                       spec.readonly ? TEXT.call : TEXT.callWrite);
    form.appendChild(send);
    form.appendChild(element('span', {'class': 'rpc-time'}));
    form.appendChild(element('h4', {}, TEXT.request));
    form.appendChild(element('pre', {'class': 'rpc-request'}));
    form.appendChild(element('h4', {}, TEXT.response));
    form.appendChild(element('pre', {'class': 'rpc-response'}));
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      call(spec, form);
    });
    button.addEventListener('click', function () {
      form.hidden = !form.hidden;
      button.setAttribute('aria-expanded', String(!form.hidden));
    });
    var signature = method.querySelector('.rpc-permission');
    signature.parentNode.insertBefore(form, signature.nextSibling);
    signature.parentNode.insertBefore(button, form);
  }

  function start() {
    var content = document.getElementById('content');
    if (!content || !content.hasAttribute('data-rpc-url') || !window.fetch) {
      return;
    }
    endpoint = content.getAttribute('data-rpc-url');
    addFilter();
    document.querySelectorAll('.rpc-method[data-rpc]').forEach(addConsole);
  }

  /* Trac loads scripts in the page's head */
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
