"""``sanfang serve`` (the web app on waitress) and ``sanfang users add | list`` (its accounts)."""

from __future__ import annotations

import click

from ..api import Sanfang
from .base import command, main

serve_options = [
    click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（局域网使用时设为 0.0.0.0）。"),
    click.option("--port", default=8080, show_default=True, type=int, help="端口。"),
    click.option("--threads", default=24, show_default=True, type=int,
                 help="同时处理的请求数（生成文件时一个请求要占用数秒）。"),
]


def with_serve_options(fn):  # noqa: ANN001, ANN201 - a click decorator
    for option in reversed(serve_options):
        fn = option(fn)
    return fn


@command(main, name="serve")
@with_serve_options
def serve(home: str | None, host: str, port: int, threads: int) -> None:
    """启动网页版（中文界面，按账号所属社区/街道限定可见范围）。"""
    run_server(Sanfang(home), host, port, threads)


def run_server(api: Sanfang, host: str, port: int, threads: int) -> None:
    """Serve the app on waitress; with no account yet, make the first admin and print its password."""
    import waitress

    from ..web import create_app

    first = api.first_admin()
    if first:
        click.secho(f"已创建首个管理员账号：用户名 admin，密码 {first}"
                    "（只显示这一次；登录后在“用户”页添加社区、街道工作人员）", fg="green")
    app = create_app(app_api=api)
    app.extensions["sanfang-filer"].warm()
    click.echo(f"网页版已启动：http://{host}:{port}/ （Ctrl-C 停止）")
    waitress.serve(app, host=host, port=port, threads=threads, ident="sanfang")


@main.group(name="users")
def users() -> None:
    """网页版账号：添加、列出。"""


@command(users, name="add")
@click.argument("username")
@click.option("--role", type=click.Choice(["clerk", "street", "admin"]), required=True,
              help="clerk 社区工作人员；street 街道工作人员；admin 管理员。")
@click.option("--street", default="", help="所属街道（clerk、street 必填）。")
@click.option("--community", default="", help="所属社区（clerk 必填）。")
@click.option("--name", "display", default="", help="姓名。")
@click.password_option("--password", help="密码（至少 8 位）；不给出则提示输入。")
def add(home: str | None, username: str, role: str, street: str, community: str, display: str, password: str) -> None:
    """添加一个账号。"""
    caller = Sanfang(home).accounts.add(username, password, role, street, community, display)
    click.echo(f"已添加：{caller.user}（{caller.role_label}）")


@command(users, name="list")
def list_cmd(home: str | None) -> None:
    """列出全部账号。"""
    for u in Sanfang(home).accounts.users():
        click.echo(f"{u.user}\t{u.role_label}\t{u.street}\t{u.community}\t{u.display}")
