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
    assert page.find_element(By.ID, 'rpc-filter').get_attribute(
        'placeholder') == 'メソッドを絞り込む (例: ticket.get)'
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
