;;; lantern-eglot.el --- Lantern with Eglot (Emacs 28 + eglot 1.9 or newer, Emacs 29+ built in)  -*- lexical-binding: t; -*-

;; Load this from your init file:  (load "/path/to/lantern-eglot.el")
;; Needs `lantern' on PATH (`pipx install /path/to/lantern' from a checkout: it is not on
;; PyPI), or a venv's bin/ on `exec-path');
;; otherwise change `lantern-command' to ("/path/to/python" "-m" "lantern" "serve").
;;
;; Eglot runs one server per major mode: these modes use Lantern instead of the server
;; Eglot would otherwise pick for them.  Remove the modes you want another server for.

;;; Code:

(require 'eglot)

(defvar lantern-command '("lantern" "serve")
  "How to start the Lantern language server.")

(defvar lantern-modes
  '((python-mode :language-id "python") (python-ts-mode :language-id "python")
    (js-mode :language-id "javascript") (js-ts-mode :language-id "javascript")
    (js-jsx-mode :language-id "javascriptreact")
    (typescript-mode :language-id "typescript") (typescript-ts-mode :language-id "typescript")
    (tsx-ts-mode :language-id "typescriptreact")
    (go-mode :language-id "go") (go-ts-mode :language-id "go")
    (rust-mode :language-id "rust") (rust-ts-mode :language-id "rust")
    (java-mode :language-id "java") (java-ts-mode :language-id "java"))
  "Major modes Lantern serves, with the LSP languageId each sends.")

(defvar lantern-settings
  '(:diagnostics (:runOn "type")          ; or "save"
    ;; :rules (:ignore ["LP301"] :severity (:LS103 "error"))
    ;; :ai (:providers [(:name "local" :baseUrl "http://localhost:11434/v1"
    ;;                   :model "qwen2.5-coder:7b")])
    )
  "The `lantern' section served through workspace/configuration.
Anything left out falls back to the project's pyproject.toml
[tool.lantern] or lantern.toml, then the server's defaults.
JSON false is :json-false, [] is an array.")

(add-to-list 'eglot-server-programs (cons lantern-modes lantern-command))

;; Serve `lantern-settings' under the `lantern' section, keeping other servers' sections.
(let ((current (default-value 'eglot-workspace-configuration)))
  ;; A function or an old-style alist is yours to extend by hand (see docs/editors/emacs.md).
  (when (or (null current) (keywordp (car-safe current)))
    (setq-default eglot-workspace-configuration
                  (plist-put (copy-tree current) :lantern lantern-settings))))

(dolist (spec lantern-modes)
  (add-hook (intern (format "%s-hook" (car spec))) #'eglot-ensure))

;;; Commands: M-x lantern-fix-all, lantern-generate, lantern-explain, lantern-fix, ...

(defconst lantern-generate-kinds '("code" "function" "class" "tests" "files"))

(defun lantern--server ()
  (eglot--current-server-or-lose))

(defun lantern--offers-p (command)
  "Whether the running server advertises COMMAND in executeCommandProvider."
  (seq-contains-p (eglot--server-capable :executeCommandProvider :commands) command))

(defun lantern--execute (command &rest arguments)
  "Run COMMAND on the server with ARGUMENTS; return its result."
  (unless (lantern--offers-p command)
    (user-error "%s needs a newer Lantern server: pipx install --force /path/to/lantern" command))
  (jsonrpc-request (lantern--server) :workspace/executeCommand
                   (list :command command :arguments (vconcat arguments))))

(defun lantern--uri ()
  (plist-get (eglot--TextDocumentIdentifier) :uri))

(defun lantern--range (beg end)
  (list :start (eglot--pos-to-lsp-position beg) :end (eglot--pos-to-lsp-position end)))

(defun lantern--region ()
  (if (use-region-p)
      (list (region-beginning) (region-end))
    (list (line-beginning-position) (line-end-position))))

(defun lantern--show (result)
  "Show RESULT (markdown or any JSON) in the *lantern* buffer."
  (with-current-buffer (get-buffer-create "*lantern*")
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert (cond ((stringp result) result)
                    ((and (listp result) (plist-get result :markdown)))
                    ((and (listp result) (plist-get result :value)))
                    (t (format "%S" result))))
      (goto-char (point-min))
      (when (fboundp 'markdown-mode) (markdown-mode))
      (view-mode 1))
    (display-buffer (current-buffer))))

(defun lantern--apply (result position)
  "Apply what generate or fix returned; nil means the server already applied it."
  (let ((edit (if (and (listp result) (plist-get result :edit)) (plist-get result :edit) result)))
    (cond ((or (null result) (eq result t)))
          ((stringp result) (save-excursion (goto-char position) (insert result)))
          ((and (listp edit) (or (plist-get edit :changes) (plist-get edit :documentChanges)))
           (eglot--apply-workspace-edit edit))
          ((plist-get result :text)
           (save-excursion (goto-char position) (insert (plist-get result :text))))
          ((plist-get result :files)
           (seq-doseq (file (plist-get result :files))
             (with-current-buffer (find-file (eglot--uri-to-path (plist-get file :uri)))
               (insert (plist-get file :text)))))
          (t (lantern--show result)))))

(defun lantern-fix-all ()
  "Apply every safe Lantern fix in the buffer (the `source.fixAll.lantern' action)."
  (interactive)
  (eglot-code-actions (point-min) (point-max) "source.fixAll.lantern" t))

(defun lantern-generate (description kind)
  "Generate code from DESCRIPTION at point.
KIND is one of `lantern-generate-kinds'."
  (interactive
   (list (read-string "Describe the code to generate: ")
         (completing-read "Generate what? " lantern-generate-kinds nil t nil nil "code")))
  (let ((position (point)))
    (lantern--apply (lantern--execute "lantern.generate" (lantern--uri)
                                      (eglot--pos-to-lsp-position position) description kind)
                    position)))

(defun lantern-explain (beg end)
  "Explain the region (or the current line) between BEG and END."
  (interactive (lantern--region))
  (lantern--show (lantern--execute "lantern.explain" (lantern--uri) (lantern--range beg end))))

(defun lantern-fix ()
  "Fix the Lantern finding at point (or the current line) with AI."
  (interactive)
  (let* ((diag (seq-find (lambda (d) (equal (plist-get d :source) "lantern"))
                         (delq nil (mapcar (lambda (d) (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d))))
                                           (flymake-diagnostics (line-beginning-position) (line-end-position)))))))
    (lantern--apply (lantern--execute "lantern.fix" (lantern--uri)
                                      (or diag (lantern--range (line-beginning-position) (line-end-position))))
                    (line-beginning-position))))

(defun lantern-analyze-file () "Analyse this file now." (interactive) (lantern--execute "lantern.analyzeFile" (lantern--uri)))
(defun lantern-analyze-workspace () "Analyse the whole project." (interactive) (lantern--execute "lantern.analyzeWorkspace"))
(defun lantern-status () "Show the server's status." (interactive) (lantern--show (lantern--execute "lantern.status")))
(defun lantern-clear-cache () "Empty the cache of model answers." (interactive) (lantern--execute "lantern.clearCache") (message "Lantern cache cleared"))
(defun lantern-history () "Show what was generated." (interactive) (lantern--show (lantern--execute "lantern.history")))

(provide 'lantern-eglot)
;;; lantern-eglot.el ends here
