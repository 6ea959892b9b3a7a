"""The app's API, served under /api (the front end's dev server forwards /api here)."""

from flask import Flask, jsonify

from db import count_visit, init_db

app = Flask(__name__)
init_db()


@app.get("/api/health")
def health():
    return jsonify(status="ok")


@app.get("/api/hello")
def hello():
    return jsonify(message="Hello from the Flask API", visits=count_visit())
