;;; emacs_driver.el --- run by test_real_editors.py in `emacs -Q --batch'  -*- lexical-binding: t; -*-

;; Load the shipped Lantern config, open each sample file, wait (polling, bounded) for
;; Lantern's diagnostic on the expected line, ask for code actions there with eglot's own
;; `eglot-code-actions', then run the config's commands as a user would (fix-all, explain,
;; fix, generate) against the real server and its loopback model, and write what the editor
;; showed and held as JSON.

;;; Code:

(require 'package)
(require 'json)
(require 'subr-x)

;; `emacs -Q' skips site-lisp, where Debian's elpa-eglot lives: find it as a package.
(add-to-list 'package-directory-list (getenv "LANTERN_ELPA_DIR"))
(package-initialize)
(setq confirm-kill-processes nil)
;; Eglot asks before applying an edit the server sends (fix-all); a user answers y.
(setq eglot-confirm-server-initiated-edits nil)

(defvar driver-messages '()
  "Every window/showMessage the server sent: a warning means the config was not accepted.")

(with-eval-after-load 'eglot
  (cl-defmethod eglot-handle-notification :before
    (_server (_method (eql window/showMessage)) &key type message)
    (push `(("type" . ,type) ("message" . ,message)) driver-messages)))

(defvar driver-notifications '()
  "What the user was told, newest first: each `message', and each `user-error' a command signalled.")

(advice-add 'message :before
            (lambda (format-string &rest args)
              (when format-string
                (push `(("message" . ,(apply #'format-message format-string args)) ("level" . "info"))
                      driver-notifications))))

(defvar driver-statuses '()
  "Each lantern/status the config received, with the mode-line text it gives, newest first.")

(with-eval-after-load 'lantern-eglot
  (advice-add 'force-mode-line-update :before
              (lambda (&rest _)
                (when lantern-status
                  (push `(("state" . ,(plist-get lantern-status :state))
                          ("statusline" . ,(string-trim (lantern-mode-line))))
                        driver-statuses)))))

(defvar driver-timeout (/ (string-to-number (getenv "LANTERN_TEST_WAIT_MS")) 1000.0))

(defun driver-wait (predicate)
  "Poll PREDICATE while processing server output, for at most `driver-timeout'."
  (let ((deadline (+ (float-time) driver-timeout)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall predicate)))

(defun driver-lsp-diagnostics ()
  "Lantern's diagnostics (static and AI) in this buffer, as the LSP objects eglot received."
  (delq nil
        (mapcar (lambda (diag)
                  (let ((lsp (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data diag)))))
                    (and lsp (member (plist-get lsp :source) '("lantern" "lantern-ai")) lsp)))
                (flymake-diagnostics))))

(defun driver-line (lsp)
  (plist-get (plist-get (plist-get lsp :range) :start) :line))

(defun driver-on-line-p (line source)
  (seq-some (lambda (lsp) (and (eql (driver-line lsp) line) (equal (plist-get lsp :source) source)))
            (driver-lsp-diagnostics)))

(defun driver-text ()
  (buffer-substring-no-properties (point-min) (point-max)))

(defun driver-run (command &rest arguments)
  "Call COMMAND with ARGUMENTS as the user would; return the newest Lantern notification."
  (let ((before (length driver-notifications)))
    (condition-case err
        (apply command arguments)
      (user-error (push `(("message" . ,(error-message-string err)) ("level" . "user-error"))
                        driver-notifications)))
    (or (seq-find (lambda (n) (string-prefix-p "Lantern" (cdr (assoc "message" n))))
                  (seq-take driver-notifications (- (length driver-notifications) before)))
        :json-null)))

(defun driver-goto (path line column)
  (set-buffer (find-file-noselect path))
  (goto-char (point-min))
  (forward-line (1- line))
  (move-to-column column))

(defun driver-exercise (by-role)
  "The user's session, in the files BY-ROLE names; what each command left behind."
  (let ((sent '()) (session '()))
    (advice-add 'jsonrpc-request :before
                (lambda (_server method params &rest _)
                  (when (eq method :workspace/executeCommand)
                    (push `(("method" . "workspace/executeCommand") ("params" . ,params)) sent)))
                '((name . driver-record)))
    ;; Fix all: the server applies the safe fixes through workspace/applyEdit.
    (driver-goto (cdr (assoc "fix_all" by-role)) 1 0)
    (let ((notification (driver-run #'lantern-fix-all)))
      (push `("fix_all" . (("text" . ,(driver-text)) ("notification" . ,notification))) session))
    ;; Explain lines 1-3: the markdown appears in the *lantern* buffer.
    (driver-goto (cdr (assoc "ai" by-role)) 1 0)
    (driver-run #'lantern-explain (point-min) (save-excursion (forward-line 2) (line-end-position)))
    (push `("explain" . ,(with-current-buffer (get-buffer-create "*lantern*") (driver-text))) session)
    ;; Fix the AI finding on line 2, then fix again: nothing is left to change.
    (driver-goto (cdr (assoc "ai" by-role)) 2 4)
    (let ((notification (driver-run #'lantern-fix)))
      (push `("fix" . (("text" . ,(driver-text)) ("notification" . ,notification))) session))
    (driver-goto (cdr (assoc "ai" by-role)) 2 4)
    (let ((notification (driver-run #'lantern-fix)))
      (push `("fix_again" . (("text" . ,(driver-text)) ("notification" . ,notification))) session))
    ;; Generate a function on the blank line 4.
    (driver-goto (cdr (assoc "ai" by-role)) 4 0)
    (driver-run #'lantern-generate "totals per month" "function")
    (push `("generate" . (("text" . ,(driver-text)))) session)
    ;; Generate tests: new files.
    (driver-run #'lantern-generate "cover load" "tests")
    (push `("generate_tests"
            . ,(vconcat
                (delq nil (mapcar (lambda (buffer)
                                    (with-current-buffer buffer
                                      (and buffer-file-name
                                           (string-prefix-p "test_" (file-name-nondirectory buffer-file-name))
                                           `(("path" . ,buffer-file-name) ("text" . ,(driver-text))))))
                                  (buffer-list)))))
          session)
    (push `("kinds" . ,(vconcat lantern-generate-kinds)) session)
    (advice-remove 'jsonrpc-request 'driver-record)
    (push `("sent" . ,(vconcat (nreverse sent))) session)
    session))

(defun driver-visit (path line source)
  (find-file path)
  ;; Batch mode has no command loop and no redisplay: run what they would. eglot-ensure
  ;; connects on the next command (post-command-hook); Flymake starts checking a buffer once
  ;; it is displayed (window-configuration-change-hook).
  (run-hooks 'post-command-hook)
  (run-window-configuration-change-hook)
  (let* ((attached (driver-wait (lambda () (eglot-current-server))))
         (seen (and attached (driver-wait (lambda () (driver-on-line-p line source)))))
         (actions
          ;; Only ask a server that offers code actions; others answer with an error.
          (when (and seen (eglot--server-capable :codeActionProvider))
            (save-excursion
              (goto-char (point-min))
              (forward-line line)
              (eglot-code-actions (line-beginning-position) (line-end-position))))))
    `(("attached" . ,(if attached t :json-false))
      ("code_action_provider"
       . ,(if (and attached (eglot--server-capable :codeActionProvider)) t :json-false))
      ("diagnostics"
       . ,(vconcat (mapcar (lambda (lsp)
                             `(("line" . ,(driver-line lsp))
                               ("code" . ,(plist-get lsp :code))
                               ("message" . ,(plist-get lsp :message))
                               ("source" . ,(plist-get lsp :source))))
                           (driver-lsp-diagnostics))))
      ("actions" . ,(vconcat (mapcar (lambda (action) (plist-get action :title)) actions)))
      ("commands"
       . ,(vconcat (seq-filter #'fboundp '(lantern-generate lantern-explain lantern-fix
                                           lantern-fix-all lantern-status)))))))

(let ((result '()) (errors '()) (by-role '()) (session '()))
  (condition-case err
      (progn
        (load (getenv "LANTERN_EMACS_CONFIG") nil t)
        (seq-doseq (file (json-read-from-string (getenv "LANTERN_TEST_FILES")))
          (let ((path (cdr (assq 'path file))) (role (cdr (assq 'role file))))
            (push (cons path (driver-visit path (cdr (assq 'line file)) (cdr (assq 'source file))))
                  result)
            (when role (push (cons role path) by-role))))
        (setq session (driver-exercise by-role))
        (driver-wait (lambda () (equal (plist-get lantern-status :state) "idle"))))
    (error (push (error-message-string err) errors)))
  (with-temp-file (getenv "LANTERN_TEST_OUT")
    (insert (json-encode `(("files" . ,(or (nreverse result) (make-hash-table)))
                           ("messages" . ,(vconcat (nreverse driver-messages)))
                           ("notifications" . ,(vconcat (nreverse driver-notifications)))
                           ("session" . ,(or session (make-hash-table)))
                           ("statuses" . ,(vconcat (nreverse driver-statuses)))
                           ("final_statusline" . ,(if (fboundp 'lantern-mode-line)
                                                      (string-trim (lantern-mode-line))
                                                    :json-null))
                           ("errors" . ,(vconcat (nreverse errors))))))))

(kill-emacs 0)
;;; emacs_driver.el ends here
