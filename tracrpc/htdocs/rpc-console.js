/* The API page as a console: a filter over the methods, and a "Try it"
 * form per method that sends a JSON-RPC call with the browser's own Trac
 * session and shows the request, the response and the time it took.
 * Without JavaScript the page stays the plain listing. */
(function () {
  'use strict';

  var endpoint;
  var callId = 0;
  /* the words, in the user's language (the page's script data) */
  var TEXT = window.rpcConsoleText || {
    filter: 'Filter methods, e.g. ticket.get', optional: '(optional)',
    tryIt: 'Try it', call: 'Call', callWrite: 'Call (changes data)',
    confirm: '%(method)s changes data in this Trac. Call it?',
    request: 'Request', response: 'Response', notSent: 'Not sent:'
  };

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

  function addFilter() {
    var heading = document.getElementById('rpc-toc-heading');
    var filter = element('input', {type: 'search', id: 'rpc-filter',
                                   placeholder: TEXT.filter});
    heading.parentNode.insertBefore(filter, heading);
    filter.addEventListener('input', function () {
      var text = filter.value.trim().toLowerCase();
      document.querySelectorAll('.rpc-namespace').forEach(function (space) {
        var shown = 0;
        space.querySelectorAll('.rpc-method').forEach(function (method) {
          var match = method.id.toLowerCase().indexOf(text) !== -1;
          method.style.display = match ? '' : 'none';
          shown += match ? 1 : 0;
        });
        space.style.display = shown ? '' : 'none';
      });
    });
  }

  /* -- Values of the form's fields ------------------------------------- */

  var INPUTS = {
    'int': {type: 'number', step: '1'},
    'double': {type: 'number', step: 'any'},
    'boolean': {type: 'checkbox'},
    'dateTime.iso8601': {type: 'datetime-local', step: '1'},
    'base64': {type: 'file'}
  };

  function field(param) {
    var input = INPUTS[param.type] ?
      element('input', INPUTS[param.type]) :
      param.type === 'array' || param.type === 'struct' ?
        element('textarea', {rows: '3', cols: '60',
                             placeholder: param.type === 'array' ? '[]' : '{}'}) :
        element('input', {type: 'text', size: '60'});
    input.name = param.name;
    input.setAttribute('data-type', param.type);
    var label = element('label');
    label.appendChild(element('span', {}, param.name +
                              (param.required ? '' : ' ' + TEXT.optional)));
    label.appendChild(input);
    label.appendChild(element('small', {}, ' ' + param.type));
    return label;
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
    if (type === 'dateTime.iso8601') {  /* taken as UTC */
      return Promise.resolve({__jsonclass__: ['datetime',
        text.length === 16 ? text + ':00' : text]});
    }
    if (type === 'array' || type === 'struct') {
      return new Promise(function (resolve) { resolve(JSON.parse(text)); });
    }
    return Promise.resolve(text);
  }

  /* The params: the fields up to the last one filled in. */
  function params(form) {
    var inputs = Array.prototype.slice.call(
      form.querySelectorAll('[data-type]'));
    return Promise.all(inputs.map(value)).then(function (values) {
      var last = values.length;
      while (last > 0 && values[last - 1] === undefined) {
        last -= 1;
      }
      return values.slice(0, last).map(function (item) {
        return item === undefined ? null : item;
      });
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
    if (!spec.readonly && !window.confirm(
        TEXT.confirm.replace('%(method)s', spec.name))) {
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
    var button = element('button', {type: 'button', 'class': 'rpc-try'},
                         TEXT.tryIt);
    var form = element('form', {'class': 'rpc-console'});
    form.style.display = 'none';
    spec.params.forEach(function (param) {
      form.appendChild(field(param));
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
      form.style.display = form.style.display === 'none' ? '' : 'none';
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
