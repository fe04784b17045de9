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
    license='BSD-3-Clause',
    url='https://trac-hacks.org/wiki/XmlRpcPlugin',
    keywords='trac plugin xmlrpc jsonrpc rpc',
    packages=['tracrpc'],
    package_data={'tracrpc': ['templates/*.html']},
    python_requires='>=3.9',
    install_requires=['Trac>=1.6,<1.7', 'setuptools<81'],
    extras_require={
        'json': ['simplejson'],
        'test': ['pytest', 'simplejson', 'aiosmtpd', 'hypothesis',
                 'gunicorn', 'psycopg2-binary', 'PyMySQL',
                 # third-party protocols and their real clients
                 'TracRpcProtocols==2.0.1', 'python-hessian', 'Py3AMF'],
    },
    entry_points={'trac.plugins': ['TracXMLRPC = tracrpc']},
    classifiers=[
        'Framework :: Trac',
        'License :: OSI Approved :: BSD License',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
    ],
)
