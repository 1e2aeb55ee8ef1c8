# Seed sample, from flask-overview.ko.md: "6. Flask 예시 프로젝트 > 2. app.py".
# The blog's templates are tests/seed/templates/ (section 6.5); the document
# has no add.html. Verbatim but for the import: flask -> kolba, Flask -> Kolba.
# ruff: noqa: I001 -- the document's code, kept as written
# fmt: off
from kolba import Kolba, render_template, request, redirect, url_for
from models import db, Post

app = Kolba(__name__)
app.config.from_object('config')
db.init_app(app)

@app.route('/')
def index():
    posts = Post.query.all()
    return render_template('index.html', posts=posts)

@app.route('/post/<int:post_id>')
def post(post_id):
    post = Post.query.get_or_404(post_id)
    return render_template('post.html', post=post)

@app.route('/add', methods=['GET', 'POST'])
def add():
    if request.method == 'POST':
        title = request.form['title']
        content = request.form['content']
        new_post = Post(title=title, content=content)
        db.session.add(new_post)
        db.session.commit()
        return redirect(url_for('index'))
    return render_template('add.html')

if __name__ == '__main__':
    app.run(debug=True)
