"""The API page's console in a real browser: headless Chromium (Debian's
`chromium` and `chromium-driver`) driven by Selenium, logged in to Trac
as `user`. On failure the test saves a screenshot and prints its path."""

import base64
import json
import os
import shutil

import pytest

from clients import unique

pytestmark = pytest.mark.parametrize('database', ['sqlite'], indirect=True)

webdriver = pytest.importorskip('selenium.webdriver')
CHROMIUM = shutil.which('chromium')
CHROMEDRIVER = shutil.which('chromedriver')
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip('no browser: install Debian\'s chromium and chromium-driver '
                '(.ci/run does)', allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402,E501
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope='session')
def server(http_server):
    """A browser loads the pages: a real tracd."""
    return http_server


def start_browser(language='en-US'):
    """Headless Chromium whose requests ask for `language`."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox',
                     '--disable-dev-shm-usage', '--window-size=1200,1600',
                     '--lang=' + language):
        options.add_argument(argument)
    options.add_experimental_option('prefs',
                                    {'intl.accept_languages': language})
    return webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER),
                            options=options)


@pytest.fixture(scope='module')
def browser():
    driver = start_browser()
    yield driver
    driver.quit()


@pytest.fixture(scope='module')
def japanese_browser():
    driver = start_browser('ja')
    yield driver
    driver.quit()


def open_api_page(browser, server):
    """Log in as `user` (Basic auth at /login gives the browser Trac's
    session cookie) and open the API page."""
    credentials = base64.b64encode(b'user:user').decode()
    browser.execute_cdp_cmd('Network.enable', {})
    browser.execute_cdp_cmd('Network.setExtraHTTPHeaders', {
        'headers': {'Authorization': 'Basic ' + credentials}})
    browser.get(server.url + '/login')
    browser.execute_cdp_cmd('Network.setExtraHTTPHeaders', {'headers': {}})
    browser.get(server.url + '/rpc')
    return browser


@pytest.fixture
def page(browser, server, tmp_path, request):
    """The API page as `user` sees it; a screenshot if the test fails."""
    yield open_api_page(browser, server)
    if request.node.report_call.failed:
        path = os.path.join(str(tmp_path), 'console.png')
        browser.save_screenshot(path)
        print('Screenshot of the failure: %s' % path)


def test_the_page_in_japanese(japanese_browser, server):
    page = open_api_page(japanese_browser, server)
    assert page.find_element(By.TAG_NAME, 'h1').text == 'リモート API'
    assert page.find_element(By.CSS_SELECTOR,
                             'label[for="rpc-filter"]').text == \
        'メソッドを絞り込む'
    assert method(page, 'ticket.get').find_element(
        By.CLASS_NAME, 'rpc-try').text == '試す'


def method(page, name):
    return page.find_element(By.ID, name)


def call(page, name, fields, confirm=False):
    """Fill the method's form, call, and return the shown response."""
    element = method(page, name)
    element.find_element(By.CLASS_NAME, 'rpc-try').click()
    for field, text in fields.items():
        element.find_element(By.NAME, field).send_keys(text)
    element.find_element(By.CLASS_NAME, 'rpc-call').click()
    if confirm:
        WebDriverWait(page, 10).until(expected_conditions.alert_is_present())
        page.switch_to.alert.accept()
    response = element.find_element(By.CLASS_NAME, 'rpc-response')
    WebDriverWait(page, 20).until(
        lambda driver: response.text not in ('', '...'))
    assert element.find_element(By.CLASS_NAME, 'rpc-time').text.endswith(
        ' ms')
    assert json.loads(element.find_element(
        By.CLASS_NAME, 'rpc-request').text.split('\n', 1)[1])['method'] == \
        name
    return json.loads(response.text)


def test_filter_shows_only_matching_methods(page):
    page.find_element(By.ID, 'rpc-filter').send_keys('ticket.create')
    assert method(page, 'ticket.create').is_displayed()
    assert not method(page, 'wiki.getPage').is_displayed()
    assert not method(page, 'ticket.get').is_displayed()


def test_read_call_from_the_page(page, server):
    summary = unique('Console')
    tid = server.client('jsonrpc', 'admin').call('ticket.create', summary,
                                                 'read me')
    response = call(page, 'ticket.get', {'id': str(tid)})
    assert response['error'] is None
    assert response['result'][3]['summary'] == summary


def test_write_call_asks_first_and_creates_the_ticket(page, server):
    summary = unique('FromConsole')
    response = call(page, 'ticket.create',
                    {'summary': summary, 'description': 'made in a browser'},
                    confirm=True)
    tid = response['result']
    ticket = server.client('jsonrpc', 'admin').call('ticket.get', tid)[3]
    assert ticket['summary'] == summary and ticket['reporter'] == 'user'


def test_examples_are_on_the_page(page):
    examples = method(page, 'ticket.get').find_element(By.CLASS_NAME,
                                                       'rpc-examples')
    examples.find_element(By.TAG_NAME, 'summary').click()
    text = examples.text
    assert 'server.ticket.get(1)' in text
    assert "'Content-Type: application/json'" in text
    assert 'method=ticket.get' in text


# -- The first hour: what a newcomer tries ---------------------------------

def console_of(page, name):
    """Open the console of method `name`; return the method's element."""
    element = method(page, name)
    element.find_element(By.CLASS_NAME, 'rpc-try').click()
    return element


def sent_request(element):
    WebDriverWait(element.parent, 20).until(
        lambda driver: element.find_element(
            By.CLASS_NAME, 'rpc-response').text not in ('', '...'))
    text = element.find_element(By.CLASS_NAME, 'rpc-request').text
    return json.loads(text.split('\n', 1)[1])


def test_the_console_calls_the_endpoint_of_the_page(browser, server):
    """Loaded from /login/rpc with the browser's Basic credentials (and
    no Trac session), it calls /login/rpc with them."""
    browser.delete_all_cookies()
    credentials = base64.b64encode(b'user:user').decode()
    browser.execute_cdp_cmd('Network.enable', {})
    browser.execute_cdp_cmd('Network.setExtraHTTPHeaders', {
        'headers': {'Authorization': 'Basic ' + credentials}})
    try:
        browser.get(server.url + '/login/rpc')
        summary = unique('FromLogin')
        response = call(browser, 'ticket.create',
                        {'summary': summary, 'description': 'x'},
                        confirm=True)
        assert response['error'] is None, response
        request = method(browser, 'ticket.create').find_element(
            By.CLASS_NAME, 'rpc-request').text
        assert request.startswith('POST /login/rpc\n')
    finally:
        browser.execute_cdp_cmd('Network.setExtraHTTPHeaders',
                                {'headers': {}})
    ticket = server.client('jsonrpc', 'admin').call(
        'ticket.get', response['result'])[3]
    assert ticket['reporter'] == 'user'


def test_blank_optional_parameters_are_left_out(page):
    summary = unique('Blanks')
    element = console_of(page, 'ticket.create')
    element.find_element(By.NAME, 'summary').send_keys(summary)
    element.find_element(By.NAME, 'description').send_keys('d')
    element.find_element(By.CLASS_NAME, 'rpc-call').click()
    WebDriverWait(page, 10).until(expected_conditions.alert_is_present())
    page.switch_to.alert.accept()
    request = sent_request(element)
    assert request['params'] == {'summary': summary, 'description': 'd',
                                 'notify': False}
    assert json.loads(element.find_element(
        By.CLASS_NAME, 'rpc-response').text)['error'] is None


def test_dates_are_typed_in_the_browsers_time_zone(page, server):
    page.execute_cdp_cmd('Emulation.setTimezoneOverride',
                         {'timezoneId': 'Asia/Tokyo'})
    try:
        page.get(server.url + '/rpc')
        element = console_of(page, 'ticket.changeLog')
        field = element.find_element(By.NAME, 'when')
        assert 'Asia/Tokyo' in field.find_element(
            By.XPATH, '..').text
        element.find_element(By.NAME, 'id').send_keys('1')
        page.execute_script("arguments[0].value = '2024-01-02T09:00:00'",
                            field)
        element.find_element(By.CLASS_NAME, 'rpc-call').click()
        request = sent_request(element)
        assert request['params'][1] == {
            '__jsonclass__': ['datetime', '2024-01-02T00:00:00.000Z']}
    finally:
        page.execute_cdp_cmd('Emulation.setTimezoneOverride',
                             {'timezoneId': ''})


def test_bad_json_is_reported_while_typing(page):
    element = console_of(page, 'ticket.create')
    element.find_element(By.NAME, 'summary').send_keys('s')
    element.find_element(By.NAME, 'attributes').send_keys('{bad')
    problem = element.find_element(By.CLASS_NAME, 'rpc-problem')
    assert problem.text.startswith('Not valid JSON')
    element.find_element(By.CLASS_NAME, 'rpc-call').click()
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text  # nothing asked: the form is invalid
    assert element.find_element(By.CLASS_NAME, 'rpc-request').text == ''
    attributes = element.find_element(By.NAME, 'attributes')
    attributes.clear()
    attributes.send_keys('{"keywords": "ok"}')
    assert problem.text == ''


def test_the_filter_is_labelled_counts_and_filters_the_contents(page):
    label = page.find_element(By.CSS_SELECTOR, 'label[for="rpc-filter"]')
    assert label.text == 'Filter methods'
    page.find_element(By.ID, 'rpc-filter').send_keys('ticket.create')
    assert not page.find_element(
        By.CSS_SELECTOR, '#rpc-toc a[href="#ns-wiki"]').is_displayed()
    assert page.find_element(
        By.CSS_SELECTOR, '#rpc-toc a[href="#ns-ticket"]').is_displayed()
    total = len(page.find_elements(By.CLASS_NAME, 'rpc-method'))
    assert page.find_element(By.ID, 'rpc-filter-count').text == \
        '1 of %d methods shown' % total


def test_the_page_fits_a_phone(page, server):
    page.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
        'width': 360, 'height': 740, 'deviceScaleFactor': 1,
        'mobile': False})
    try:
        page.get(server.url + '/rpc')
        console_of(page, 'ticket.update')
        width = page.execute_script(
            'return document.documentElement.scrollWidth')
        assert width <= 360
    finally:
        page.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})


def test_no_serious_accessibility_finding(page):
    """axe-core on the page's content, the console open. (Trac's own
    header has a finding of its own: its search box has no label.)"""
    axe = pytest.importorskip('axe_core_python.selenium')
    console_of(page, 'ticket.update')
    results = axe.Axe().run(page, context={'include': [['#content']]})
    serious = [(violation['id'], violation['help'],
                [node['target'] for node in violation['nodes']][:3])
               for violation in results['violations']
               if violation['impact'] in ('serious', 'critical')]
    assert serious == []
