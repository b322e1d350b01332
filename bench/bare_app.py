"""The baseline `make bench` measures the portal against: a bare Flask page that renders a template over one
indexed query (a class's students, by the index on student.class_id) on the same database, served by the same
gunicorn settings. No login, session, CSRF, permissions or layout: what is left is Flask, SQLAlchemy and Jinja."""
import os

from flask import Flask, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)


class Student(db.Model):
    # Only the columns the page shows; the table is the portal's, made by its migrations.
    __tablename__ = "student"
    id: Mapped[int] = mapped_column(primary_key=True)
    student_no: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str] = mapped_column(String(2))
    class_id: Mapped[int]


@app.get("/students")
def students():
    class_id = request.args.get("class_id", 1, type=int)
    rows = db.session.scalars(select(Student).where(Student.class_id == class_id).order_by(Student.id)).all()
    return render_template("bare.html", rows=rows, class_id=class_id)
