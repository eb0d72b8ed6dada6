;;; lantern-eglot.el --- Lantern with Eglot (Emacs 28 + eglot 1.9 or newer, Emacs 29+ built in)  -*- lexical-binding: t; -*-

;; Load this from your init file:  (load "/path/to/lantern-eglot.el")
;; Needs `lantern' on PATH (`pipx install /path/to/lantern' from a checkout: it is not on
;; PyPI), or a venv's bin/ on `exec-path';
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

;;; Commands: M-x lantern-generate, lantern-explain, lantern-fix, lantern-fix-all, ...

(defconst lantern-generate-kinds
  '("code" "function" "class" "docs" "tests" "files" "api" "ui" "cli")
  "What `lantern-generate' can write; files, api, ui and cli create new files.")

(defvar lantern-request-timeout 120
  "Seconds to wait for a command's answer (a model may take a while).")

(defun lantern--server ()
  (eglot--current-server-or-lose))

(defun lantern--offers-p (command)
  "Whether the running server advertises COMMAND in executeCommandProvider."
  (seq-contains-p (eglot--server-capable :executeCommandProvider :commands) command))

(defun lantern--execute (command &rest arguments)
  "Run COMMAND on the server with ARGUMENTS; return its result.
An answer of the form {\"error\": ...} is shown as a `user-error'."
  (unless (lantern--offers-p command)
    (user-error "%s needs a newer Lantern server: pipx install --force /path/to/lantern" command))
  ;; Eglot sends edits on an idle timer: send them now, so the server answers for this text.
  (eglot--signal-textDocument/didChange)
  (let ((result (jsonrpc-request (lantern--server) :workspace/executeCommand
                                 (list :command command :arguments (vconcat arguments))
                                 :timeout lantern-request-timeout)))
    (when (and (listp result) (plist-get result :error))
      (user-error "%s" (plist-get result :error)))
    result))

(defun lantern--uri ()
  (plist-get (eglot--TextDocumentIdentifier) :uri))

(defun lantern--range (beg end)
  (list :start (eglot--pos-to-lsp-position beg) :end (eglot--pos-to-lsp-position end)))

(defun lantern--region ()
  (if (use-region-p)
      (list (region-beginning) (region-end))
    (list (line-beginning-position) (line-end-position))))

(defun lantern--summary (result)
  "Echo RESULT's summary (or RESULT itself when it is a string)."
  (let ((summary (if (stringp result) result (and (listp result) (plist-get result :summary)))))
    (when (and (stringp summary) (not (string-empty-p summary)))
      (message "Lantern: %s" summary))))

(defun lantern--show (result)
  "Show RESULT's markdown in the *lantern* buffer."
  (with-current-buffer (get-buffer-create "*lantern*")
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert (if (stringp result) result (or (plist-get result :markdown) "")))
      (goto-char (point-min))
      (when (fboundp 'markdown-mode) (markdown-mode))
      (view-mode 1))
    (display-buffer (current-buffer))))

(defun lantern--write-files (files)
  "Create FILES ({uri, text}), never over an existing file, and visit the first."
  (let ((first t))
    (seq-doseq (file files)
      (let ((path (eglot--uri-to-path (plist-get file :uri))))
        (if (file-exists-p path)
            (message "Lantern: %s exists; not overwritten" path)
          (make-directory (file-name-directory path) t)
          (with-temp-file path (insert (plist-get file :text)))
          (when first (find-file path) (setq first nil)))))))

(defun lantern--apply (result)
  "Apply what generate or fix returned, then echo its summary.
RESULT is {edit, summary}, or {files, summary} when Eglot cannot create files."
  (cond ((plist-get result :edit) (eglot--apply-workspace-edit (plist-get result :edit) nil))
        ((plist-get result :files) (lantern--write-files (plist-get result :files))))
  ;; The summary names any new problems an AI fix introduces.
  (lantern--summary result))

(defun lantern-generate (description kind)
  "Generate code from DESCRIPTION at point.
KIND is one of `lantern-generate-kinds'."
  (interactive
   (list (read-string "Describe the code to generate: ")
         (completing-read "Generate what? " lantern-generate-kinds nil t nil nil "code")))
  (lantern--apply (lantern--execute "lantern.generate" (lantern--uri)
                                    (eglot--pos-to-lsp-position) description kind)))

(defun lantern-explain (beg end)
  "Explain the region (or the current line) between BEG and END."
  (interactive (lantern--region))
  (lantern--show (lantern--execute "lantern.explain" (lantern--uri) (lantern--range beg end))))

(defun lantern--diagnostic-here ()
  "The Lantern finding (static or AI) on this line, as Eglot received it."
  (seq-find (lambda (d) (member (plist-get d :source) '("lantern" "lantern-ai")))
            (delq nil (mapcar (lambda (d) (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data d))))
                              (flymake-diagnostics (line-beginning-position) (line-end-position))))))

(defun lantern-fix (&optional beg end)
  "Fix with AI the region between BEG and END.
Without a region: the Lantern finding on this line, else the line."
  (interactive (and (use-region-p) (list (region-beginning) (region-end))))
  (lantern--apply
   (lantern--execute "lantern.fix" (lantern--uri)
                     (if beg
                         (lantern--range beg end)
                       (or (lantern--diagnostic-here)
                           (lantern--range (line-beginning-position) (line-end-position)))))))

(defun lantern-fix-all ()
  "Apply every safe static fix in this file (the server sends the edit)."
  (interactive)
  (lantern--summary (lantern--execute "lantern.fixAll" (lantern--uri))))

(defun lantern-analyze-file ()
  "Analyse this file now (static rules and the AI review)."
  (interactive)
  (lantern--summary (lantern--execute "lantern.analyzeFile" (lantern--uri))))

(defun lantern-analyze-workspace ()
  "Analyse every file of the project."
  (interactive)
  (lantern--summary (lantern--execute "lantern.analyzeWorkspace")))

(defun lantern-status ()
  "Show the providers, cache and request counts, and the last error."
  (interactive)
  (lantern--show (lantern--execute "lantern.status")))

(defun lantern-clear-cache ()
  "Empty the cache of model answers."
  (interactive)
  (lantern--summary (lantern--execute "lantern.clearCache")))

(defun lantern-history ()
  "Show what was generated."
  (interactive)
  (lantern--show (lantern--execute "lantern.history")))

;;; The server's AI status in the mode line

(defvar lantern-status nil
  "The server's last lantern/status notification: (:state :message :count).
State is \"idle\", \"analysing\", \"error\" or \"unreachable\".")

(cl-defmethod eglot-handle-notification
  (_server (_method (eql 'lantern/status)) &key state message count &allow-other-keys)
  "Remember the server's AI status and show it in the mode line."
  (setq lantern-status (list :state state :message message :count count))
  (force-mode-line-update t))

(defun lantern-mode-line ()
  "The AI status for the mode line: empty when idle."
  (pcase (plist-get lantern-status :state)
    ("analysing" (format " Lantern: %s (%s)"
                         (let ((what (plist-get lantern-status :message)))
                           (if (and (stringp what) (not (string-empty-p what))) what "working"))
                         (or (plist-get lantern-status :count) 1)))
    ("unreachable" " Lantern: model unreachable")
    ("error" " Lantern: AI error (M-x lantern-status)")
    (_ "")))

(add-to-list 'mode-line-misc-info '(:eval (lantern-mode-line)) t)

(defvar lantern-command-map
  (let ((map (make-sparse-keymap)))
    (define-key map "g" #'lantern-generate)
    (define-key map "e" #'lantern-explain)
    (define-key map "f" #'lantern-fix)
    (define-key map "F" #'lantern-fix-all)
    (define-key map "a" #'lantern-analyze-file)
    (define-key map "A" #'lantern-analyze-workspace)
    (define-key map "s" #'lantern-status)
    (define-key map "h" #'lantern-history)
    (define-key map "c" #'lantern-clear-cache)
    map)
  "Lantern's commands, one key each.  Bind it to a prefix:
  (define-key eglot-mode-map (kbd \"C-c l\") lantern-command-map)")

(provide 'lantern-eglot)
;;; lantern-eglot.el ends here
