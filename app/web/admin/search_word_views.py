"""Partnership admins: the search words families use, added and changed in the site."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import search
from app.directory import search_words
from app.extensions import db
from app.models import SearchWord
from app.oversight import demand
from app.web.admin import bp
from app.web.admin.forms import SearchWordForm
from app.web.auth import admin_required


@bp.route("/search-words")
@admin_required
def search_words_list():
    return render_template("admin/search_words.html", words=search_words.all_words())


@bp.route("/search-words/new", methods=["GET", "POST"])
@admin_required
def search_word_new():
    form = SearchWordForm(data={"words": request.args.get("words", "")} if request.method == "GET" else None)
    return _save(form, new=True, title=_("Add search words"), back=request.args.get("back", ""))


@bp.route("/search-words/<word_id>/edit", methods=["GET", "POST"])
@admin_required
def search_word_edit(word_id: str):
    word = db.get_or_404(SearchWord, word_id)
    form = SearchWordForm(data=None if request.method == "POST" else {
        "id": word.id, "lang": word.lang, "words": "\n".join(word.words),
        "means": "\n".join(word.means)})
    form.id.data = word.id  # the id is in every export: it stays
    return _save(form, new=False, title=word.id, back="")


def _save(form: SearchWordForm, *, new: bool, title: str, back: str):
    if form.validate_on_submit():
        word, problems = search_words.save(
            form.id.data, search_words.parse_phrases(form.words.data),
            search_words.parse_phrases(form.means.data), (form.lang.data or "en").strip().lower(),
            new=new)
        for problem in problems:
            field = form._fields.get(problem.path.rsplit(".", 1)[-1].split("[")[0]) or form.words
            field.errors = [*field.errors, problem.message]
        if word is not None:
            db.session.commit()
            search.forget_search_words()
            answered, total = demand.no_result_searches_now_answered()
            flash(_("Search words ‘%(id)s’ saved. Of the %(total)d searches in the last 30 days "
                    "that found nothing, %(answered)d would now find something.",
                    id=word.id, total=total, answered=answered))
            if back == "demand":
                return redirect(url_for("admin.oversight_section", page="demand"))
            return redirect(url_for("admin.search_words_list"))
    return render_template("auth/form.html", form=form, title=title,
                           intro=_("When any of these words is in a search, search also looks "
                                   "for what they mean. Changes are kept in the audit log and "
                                   "written to the directory file by an export.")
                           ), 400 if form.errors else 200
