"""TracXMLRPC: XML-RPC and JSON-RPC interfaces to Trac 1.6."""

from setuptools import setup

with open('README.rst', encoding='utf-8') as readme:
    long_description = readme.read()

setup(
    name='TracXMLRPC',
    version='1.2.0',
    description='Remote procedure calls (XML-RPC, JSON-RPC) for Trac 1.6',
    long_description=long_description,
    long_description_content_type='text/x-rst',
    license_expression='BSD-3-Clause',
    license_files=['COPYING'],
    author='The TracXMLRPC for Python 3 developers',
    maintainer='The TracXMLRPC for Python 3 developers',
    url='https://trac-hacks.org/wiki/XmlRpcPlugin',
    project_urls={
        'Original plugin': 'https://trac-hacks.org/wiki/XmlRpcPlugin',
        'Trac': 'https://trac.edgewall.org/',
    },
    keywords='trac plugin xmlrpc jsonrpc rpc',
    packages=['tracrpc'],
    package_data={'tracrpc': ['templates/*.html', 'htdocs/*.js',
                              'locale/*/LC_MESSAGES/*.mo']},
    python_requires='>=3.9',
    install_requires=['Trac>=1.6,<1.7', 'setuptools<81'],
    extras_require={
        'json': ['simplejson'],
        # translations of Trac's and this plugin's pages (Trac's own
        # extra), and the catalog commands of setup.cfg
        'babel': ['Babel'],
        'test': ['pytest', 'simplejson', 'aiosmtpd', 'hypothesis', 'Babel',
                 # Trac's WSGI application called in-process
                 'WebTest',
                 'gunicorn', 'psycopg2-binary', 'PyMySQL',
                 # validating rpc.discover against the OpenRPC meta-schema
                 'jsonschema>=4.18',
                 # the API page's console in headless Chromium
                 'selenium',
                 # its accessibility checks (axe-core, bundled)
                 'axe-core-python; python_version >= "3.10"',
                 # /login/rpc with AccountManager's password store (which
                 # needs passlib where Python has no crypt module)
                 'TracAccountManager==0.6.0',
                 'passlib; python_version >= "3.13"',
                 # third-party protocols and their real clients
                 'TracRpcProtocols==2.0.1', 'python-hessian', 'Py3AMF',
                 # webhook receivers verifying signatures, as they would
                 'standardwebhooks'],
    },
    entry_points={'trac.plugins': ['TracXMLRPC = tracrpc'],
                  'console_scripts': ['tracrpc-tracd = tracrpc.tracd:main']},
    classifiers=[
        'Development Status :: 4 - Beta',
        'Environment :: Plugins',
        'Environment :: Web Environment',
        'Framework :: Trac',
        'Intended Audience :: System Administrators',
        'Operating System :: OS Independent',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
        'Programming Language :: Python :: 3.9',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.13',
        'Topic :: Software Development :: Bug Tracking',
    ],
)
